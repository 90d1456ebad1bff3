"""The browser enforces the app's Content-Security-Policy, and the browser tests see it when a page breaks it: an
inline event handler slipped into a page is refused and recorded (every other browser test then fails on such a
record, tests/browser/conftest.py)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_inline_script_is_refused_and_recorded(browser_visit, base_url):
    page = browser_visit.page
    page.goto(f"{base_url}/login/")
    assert browser_visit.csp_violations == []  # the page itself breaks nothing
    page.evaluate("""document.body.insertAdjacentHTML(
        "beforeend", '<img id="probe" src="data:," onload="document.title = \\'ran\\'">')""")
    page.wait_for_timeout(300)
    assert page.title() != "ran"
    assert any("inline event handler" in v or "script-src" in v for v in browser_visit.csp_violations)
    browser_visit.csp_violations.clear()  # seen: the fixture's own check would fail this test otherwise
