"""A manager edits a standard with the preview; an admin imports a CP932 file, reads the error, fixes and imports."""

import datetime as dt

import pytest

from accounts.models import Account
from core.timeutil import business_today
from standards.models import Requirement, StandardChange
from tests.browser.steps import log_in
from tests.factories import AccountFactory, OpportunityFactory, TouchFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_manager_previews_a_tighter_standard_then_saves_it(browser_visit, base_url):
    from engine.services import recompute_all

    UserFactory(username="maki", role="manager", language="en")
    today = business_today()
    account = AccountFactory(name="Osaka Steel")
    OpportunityFactory(account=account, opened_on=today - dt.timedelta(days=20))
    TouchFactory(account=account, occurred_at=dt.datetime.combine(today - dt.timedelta(days=2), dt.time(3), tzinfo=dt.timezone.utc),
                 occurred_on=today - dt.timedelta(days=2))
    recompute_all(as_of=today)

    log_in(browser_visit, base_url, "maki")
    page = browser_visit.page
    page.goto(f"{base_url}/standards/")
    browser_visit.screenshot("standards")
    row = page.locator("input[name='NEGOTIATION-0-min_count']")
    row.fill("2")
    page.click("button[value=preview]")
    page.wait_for_selector("#preview")
    browser_visit.screenshot("preview")
    preview = page.locator("#preview").inner_text()
    assert "0 → 1" in preview  # one account would become under-covered tomorrow
    assert Requirement.objects.get(standard__state="NEGOTIATION").min_count == 1  # nothing saved yet
    page.locator("input[name='NEGOTIATION-0-min_count']").fill("2")
    page.fill("#id_comment", "two touches a week while negotiating")
    page.click("button[value=save]")
    page.wait_for_load_state()
    browser_visit.screenshot("saved")
    assert Requirement.objects.get(standard__state="NEGOTIATION").min_count == 2
    assert StandardChange.objects.get().comment == "two touches a week while negotiating"
    assert "two touches a week while negotiating" in page.content()
    assert browser_visit.hosts <= {"127.0.0.1"}


def test_admin_imports_a_cp932_file_reads_the_error_fixes_it_and_imports(browser_visit, base_url, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    UserFactory(username="aki", role="admin", language="en")
    bad = tmp_path / "取引先.csv"
    bad.write_bytes("外部ID,会社名,従業員数\nJ1,株式会社髙﨑,１２０\nJ2,東京商事,百\n".encode("cp932"))
    good = tmp_path / "取引先-修正.csv"
    good.write_bytes("外部ID,会社名,従業員数\nJ1,株式会社髙﨑,１２０\nJ2,東京商事,100\n".encode("cp932"))

    log_in(browser_visit, base_url, "aki")
    page = browser_visit.page
    page.goto(f"{base_url}/imports/")
    page.select_option("#id_kind", "accounts")
    page.set_input_files("#id_file", str(bad))
    page.click("button.primary")
    page.wait_for_load_state()
    assert "cp932" in page.content()
    browser_visit.screenshot("mapping")
    page.click("button[value=dry_run]")
    page.wait_for_load_state()
    browser_visit.screenshot("dry-run-error")
    status = page.locator("#import-status").inner_text()
    assert "3" in status and "employees" in status and "is not a whole number" in status
    assert Account.objects.count() == 0

    page.goto(f"{base_url}/imports/")
    page.select_option("#id_kind", "accounts")
    page.set_input_files("#id_file", str(good))
    page.click("button.primary")
    page.wait_for_load_state()
    page.click("button[value=commit]")
    page.wait_for_selector("#import-status:has-text('created=2')")
    browser_visit.screenshot("imported")
    assert sorted(Account.objects.values_list("name", "employees")) == [("東京商事", 100), ("株式会社髙﨑", 120)]
    assert browser_visit.hosts <= {"127.0.0.1"}
