"""A marketer creates an ICP profile in the browser, adds a row, fixes a marked error, saves a second version,
watches the rescoring job and compares the two versions side by side."""

import pytest

from accounts.models import Account
from profiles.models import IcpProfile, RescoreRun
from tests.browser.steps import log_in
from tests.factories import AccountFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def fill_row(page, index: int, attribute: str, op: str, value: str, weight: str, high: str = "") -> None:
    page.select_option(f"#id_criteria-{index}-attribute", attribute)
    page.select_option(f"#id_criteria-{index}-op", op)
    if value:
        page.fill(f"#id_criteria-{index}-value", value)
    if high:
        page.fill(f"#id_criteria-{index}-value_high", high)
    else:  # the high end shows only for "between"
        assert not page.locator(f"#id_criteria-{index}-value_high").is_visible()
    page.fill(f"#id_criteria-{index}-weight", weight)


def test_marketer_creates_edits_and_compares_a_profile(browser_visit, base_url):
    UserFactory(username="mari", role="marketing", full_name="Mari Marketing", language="en")
    big_maker = AccountFactory(name="Osaka Steel", industry="manufacturing", employees=1200)
    AccountFactory(name="Corner Shop", industry="retail", employees=4)

    log_in(browser_visit, base_url, "mari")
    page = browser_visit.page
    page.goto(f"{base_url}/profiles/")
    page.click("#new-profile")
    page.wait_for_selector("#profile-form")
    page.fill("#id_name", "Mid-market makers")
    page.fill("#id_description", "Manufacturers of 300–5000 people")
    fill_row(page, 0, "industry", "in", "manufacturing, chemicals", "30")
    page.click("#add-criterion")
    fill_row(page, 1, "employees", "between", "300", "20", high="5000")
    page.click("#add-criterion")
    fill_row(page, 2, "departments", "contains", "marketing", "10")
    browser_visit.screenshot("new-profile")
    page.click("#save-profile")
    page.wait_for_selector("#rescore-status")
    browser_visit.screenshot("created")

    profile = IcpProfile.objects.get(name="Mid-market makers")
    assert profile.current_version.criteria == [
        {"attribute": "industry", "op": "in", "value": ["manufacturing", "chemicals"], "weight": 30},
        {"attribute": "employees", "op": "between", "value": [300, 5000], "weight": 20},
        {"attribute": "departments", "op": "contains", "value": "marketing", "weight": 10},
    ]
    page.wait_for_selector("#rescore-status:has-text('Succeeded')")
    assert RescoreRun.objects.get().status == "succeeded"
    assert Account.objects.get(pk=big_maker.pk).icp_profile_id == profile.pk

    # Second version: a mistake first (high end below the low end), marked next to the field, then fixed.
    page.click("#edit-profile")
    page.wait_for_selector("#profile-form")
    page.fill("#id_criteria-1-value_high", "200")
    page.fill("#id_criteria-0-weight", "40")
    page.fill("#id_comment", "heavier industry")
    page.click("#save-profile")
    page.wait_for_selector(".errorlist")
    browser_visit.screenshot("error")
    error = page.locator("tr.criterion-row").nth(1).locator(".errorlist").inner_text()
    assert "high end" in error
    assert profile.versions.count() == 1
    page.fill("#id_criteria-1-value_high", "5000")
    page.check("#id_criteria-2-DELETE")
    page.click("#save-profile")
    page.wait_for_selector("#rescore-status")
    assert profile.versions.count() == 2

    page.click("text=Versions and comparison")
    page.wait_for_selector("#comparison")
    browser_visit.screenshot("compare")
    assert page.locator("tr[data-status=changed]").count() == 1
    assert page.locator("tr[data-status=removed]").count() == 1
    assert "heavier industry" in page.locator("#compare-form").inner_text()
    assert browser_visit.hosts <= {"127.0.0.1"}
