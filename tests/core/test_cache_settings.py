"""With REDIS_URL every web process shares one cache (a reassignment dropped from the feedback cache by one gunicorn
worker is dropped for all), on the broker's server but another database number, so emptying the cache never touches
the broker's queues; without it, the process's memory."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _caches_under(redis_url: str) -> str:
    env = {**os.environ, "DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "coverage_console.settings",
           "REDIS_URL": redis_url}
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'], " \
           "settings.CACHES['default'].get('LOCATION', ''))"
    return subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True).stdout.strip()


def test_with_redis_the_cache_is_shared_and_apart_from_the_broker():
    assert _caches_under("redis://127.0.0.1:6379/0") == (
        "django.core.cache.backends.redis.RedisCache redis://127.0.0.1:6379/1")
    assert _caches_under("redis://cache.internal:6380") == (
        "django.core.cache.backends.redis.RedisCache redis://cache.internal:6380/1")
    assert _caches_under("redis://:secret@127.0.0.1:6379/15").endswith("redis://:secret@127.0.0.1:6379/0")


def test_without_redis_the_cache_is_the_process_memory():
    assert _caches_under("").startswith("django.core.cache.backends.locmem.LocMemCache")
