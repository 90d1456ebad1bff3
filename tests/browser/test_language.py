"""Switching the interface language in the browser, remembered on the user."""

import pytest

from core.models import User
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_rep_switches_to_english_from_the_header_and_it_sticks_after_logging_in_again(browser_visit, base_url):
    UserFactory(username="kei", role="csm", full_name="Kei CSM", language="ja")
    page = browser_visit.page
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", "kei")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/today/")
    assert page.locator("h1").inner_text().startswith("今日")
    browser_visit.screenshot("today-ja")

    page.select_option("#lang-select", "en")  # submits on change
    page.wait_for_load_state()
    page.locator("h1", has_text="Today").wait_for()
    browser_visit.screenshot("today-en")
    assert User.objects.get(username="kei").language == "en"

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{base_url}/login/")
    page.fill("#id_username", "kei")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/today/")
    assert page.locator("h1").inner_text().startswith("Today")
    assert browser_visit.hosts == {"127.0.0.1"}, browser_visit.hosts
