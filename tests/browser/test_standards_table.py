"""A manager edits one cell of the standards table in place, previews it (by responsible role and by owner), saves
it with a comment, and reads the change as a diff in the history."""

import datetime as dt

import pytest

from core.timeutil import business_today
from standards.models import Requirement, StandardChange
from tests.browser.steps import log_in
from tests.factories import AccountFactory, OpportunityFactory, TouchFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_manager_edits_a_cell_previews_saves_with_a_comment_and_reads_the_diff(browser_visit, base_url):
    from engine.services import recompute_all

    UserFactory(username="maki", role="manager", language="en")
    owner = UserFactory(username="sato", role="sales", full_name="Sato Field", language="en")
    today = business_today()
    account = AccountFactory(name="Osaka Steel", owner_sales=owner)
    OpportunityFactory(account=account, opened_on=today - dt.timedelta(days=20))
    TouchFactory(account=account, occurred_at=dt.datetime.combine(today - dt.timedelta(days=2), dt.time(3), tzinfo=dt.timezone.utc),
                 occurred_on=today - dt.timedelta(days=2))
    recompute_all(as_of=today)

    log_in(browser_visit, base_url, "maki")
    page = browser_visit.page
    page.goto(f"{base_url}/standards/")
    browser_visit.screenshot("table")
    cell = page.locator("#req-NEGOTIATION-human")
    assert "Human ×1 every 7 days · Field sales · counted: anyone" in cell.inner_text()
    cell.get_by_role("link", name="Edit").click()
    form = page.locator("#req-NEGOTIATION-human form")
    # The opened form takes the focus once htmx has settled it (static/js/standards-table.js): wait for that, or
    # the focus lands mid-typing and the next keystrokes go to the form's first field.
    form.locator(":focus").wait_for()
    form.locator("input[name='NEGOTIATION-human-min_count']").fill("2")
    form.locator("input[name='comment']").fill("two touches a week while negotiating")
    form.locator("button[value=preview]").click()
    whatif = page.locator("#whatif-req-NEGOTIATION-human")
    whatif.locator(".whatif").wait_for(timeout=30_000)  # a busy machine: the preview may take a while
    browser_visit.screenshot("preview")
    text = whatif.inner_text()
    assert "Preview of the change to In negotiation · human" in text
    assert "Alerts by responsible role" in text and "Field sales\t0\t1\t+1" in text  # per role
    assert "Alerts by owner" in text and "Sato Field\t0\t1\t+1" in text  # per owner
    assert Requirement.objects.get(standard__state="NEGOTIATION").min_count == 1  # nothing saved yet
    # The comment typed before the preview is still there; save.
    assert form.locator("input[name='comment']").input_value() == "two touches a week while negotiating"
    form.locator("button[value=save]").click()
    page.locator("#req-NEGOTIATION-human:not(.editing)").wait_for(timeout=30_000)
    browser_visit.screenshot("saved")
    assert "Human ×2 every 7 days" in page.locator("#req-NEGOTIATION-human").inner_text()
    assert "version 2" in page.locator("#row-NEGOTIATION").inner_text()
    assert Requirement.objects.get(standard__state="NEGOTIATION").min_count == 2
    assert StandardChange.objects.get().comment == "two touches a week while negotiating"

    page.get_by_role("link", name="History").click()
    page.wait_for_load_state()
    browser_visit.screenshot("history")
    change = page.locator(".history-change").first
    assert "In negotiation · version 2" in change.inner_text()
    assert "two touches a week while negotiating" in change.inner_text()
    assert "Minimum touches: 1 → 2" in change.locator(".diff-changed").inner_text()
    assert browser_visit.hosts <= {"127.0.0.1"}


def test_manager_removes_a_requirement_after_confirming_then_restores_it_from_the_history(browser_visit, base_url):
    UserFactory(username="maki", role="manager", language="en")
    log_in(browser_visit, base_url, "maki")
    page = browser_visit.page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.goto(f"{base_url}/standards/")
    page.locator("#req-HIGH_POTENTIAL_LEAD-digital").get_by_role("link", name="Remove").click()
    form = page.locator("#req-HIGH_POTENTIAL_LEAD-digital form")
    assert "Remove this requirement from High-potential lead?" in form.inner_text()
    form.locator("input[name='comment']").fill("campaigns cover it")
    form.locator("button[value=save]").click()
    page.locator("#row-HIGH_POTENTIAL_LEAD:has-text('version 2')").wait_for(timeout=30_000)
    assert dialogs == ["Remove this requirement?"]
    assert page.locator("#req-HIGH_POTENTIAL_LEAD-digital").count() == 0
    assert list(Requirement.objects.filter(standard__state="HIGH_POTENTIAL_LEAD").values_list("code", flat=True)) == [
        "human"]

    page.goto(f"{base_url}/standards/history/")
    change = page.locator(".history-change").first
    assert "removed" in change.locator(".diff-removed").inner_text()
    change.get_by_role("button", name="Restore version 1").click()
    page.get_by_text("High-potential lead restored: it is now version 3.").wait_for()
    browser_visit.screenshot("restored")
    assert dialogs[-1] == "Restore High-potential lead as it was at version 1? This saves a new version."
    assert sorted(Requirement.objects.filter(standard__state="HIGH_POTENTIAL_LEAD").values_list("code", flat=True)) == [
        "digital", "human"]
