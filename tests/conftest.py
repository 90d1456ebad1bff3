"""Shared fixtures: personas for every role, and guards for external services.

Tests that need PostgreSQL (DATABASE_URL), Redis (REDIS_URL) or Chromium (/usr/bin/chromium) skip with a
reason when those are absent, so `make test` runs anywhere; with CI=true (as `.ci/run` sets, after starting all
three) such a skip is a failure instead, so CI cannot pass by skipping. See README.md, "Tests".
"""

from __future__ import annotations

import os
import shutil

import pytest
from django.db import connection

from core.choices import Role
from tests.factories import UserFactory

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = "/usr/bin/chromium"


def skip_or_fail(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def require_postgres(db):
    if connection.vendor != "postgresql":
        skip_or_fail("PostgreSQL is not configured (set DATABASE_URL)")


@pytest.fixture(scope="session")
def require_redis():
    url = os.environ.get("REDIS_URL", "")
    if not url:
        skip_or_fail("Redis is not configured (set REDIS_URL)")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # any connection failure means "absent"
        skip_or_fail(f"Redis at {url} does not answer: {exc}")
    return url


@pytest.fixture(scope="session")
def require_chromium():
    if not os.path.exists(CHROMIUM) or shutil.which("chromium") is None and not os.access(CHROMIUM, os.X_OK):
        skip_or_fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        skip_or_fail("Playwright for Python is not installed")
    return CHROMIUM


@pytest.fixture
def admin_user(db):
    return UserFactory(username="ada", role=Role.ADMIN, full_name="Ada Admin")


@pytest.fixture
def manager(db):
    return UserFactory(username="mia", role=Role.MANAGER, full_name="Mia Manager", team="east")


@pytest.fixture
def csm(db):
    return UserFactory(username="chika", role=Role.CSM, full_name="Chika CSM", team="east")


@pytest.fixture
def sales(db):
    return UserFactory(username="sora", role=Role.SALES, full_name="Sora Sales", team="east")


@pytest.fixture
def inside_sales(db):
    return UserFactory(username="ines", role=Role.INSIDE_SALES, full_name="Ines Inside", team="east")


@pytest.fixture
def marketer(db):
    return UserFactory(username="mark", role=Role.MARKETING, full_name="Mark Marketing")


@pytest.fixture
def executive(db):
    return UserFactory(username="eiji", role=Role.EXECUTIVE, full_name="Eiji Executive")


@pytest.fixture
def personas(admin_user, manager, csm, sales, inside_sales, marketer, executive):
    return {
        Role.ADMIN: admin_user, Role.MANAGER: manager, Role.CSM: csm, Role.SALES: sales,
        Role.INSIDE_SALES: inside_sales, Role.MARKETING: marketer, Role.EXECUTIVE: executive,
    }


@pytest.fixture(autouse=True)
def celery_in_process(settings):
    """Tasks run in-process in tests even when REDIS_URL is set (CI); the broker tests opt out explicitly."""
    from coverage_console.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty Django cache (the live handoff feedback figures are cached; a test's rolled
    back rows may come back under the same ids in the next)."""
    from django.core.cache import cache

    cache.clear()


def pytest_collection_modifyitems(items):
    """Every transactional test restores the serialized database after itself. A transactional test that only
    flushes lets Django re-create the content types and permissions under new ids (post_migrate), and the next
    test that restores the serialized database then fails in set-up on their unique names; with every one
    restoring, the flush leaves them out and the ids stay those the serialized copy has."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"):
            item.add_marker(pytest.mark.django_db(*marker.args, **{**marker.kwargs, "serialized_rollback": True}),
                            append=False)
