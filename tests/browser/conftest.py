"""Playwright against Debian's Chromium (never a downloaded browser), talking only to the live server."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse ORM calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


class Visit:
    """A page plus what the test needs around it: hosts contacted and numbered screenshots."""

    def __init__(self, page, name: str):
        self.page = page
        self.name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
        self.hosts: set[str] = set()
        self.shots = 0
        # What the Content-Security-Policy refused on the way: an inline script or style the app should not have.
        self.csp_violations: list[str] = []
        page.on("request", lambda request: self.hosts.add(urlsplit(request.url).hostname or urlsplit(request.url).scheme))
        page.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def screenshot(self, label: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        path = ARTIFACTS / f"{self.name}-{self.shots:02d}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def browser_visit(require_chromium, request):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=require_chromium, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        visit = Visit(page, request.node.name)
        try:
            yield visit
            assert visit.csp_violations == [], "the page did something its Content-Security-Policy refuses"
        finally:
            context.close()
            browser.close()
            # The test's ORM calls ran while Playwright's event loop was current, on connections of their own that
            # pytest-django's teardown does not see: closed here, or one stays open and the test database cannot
            # be dropped at the end ("is being accessed by other users").
            from django.db import connections

            connections.close_all()


@pytest.fixture
def base_url(live_server) -> str:
    """The live server by its loopback address, so "no request leaves 127.0.0.1" can be checked exactly."""
    return live_server.url.replace("://localhost", "://127.0.0.1")
