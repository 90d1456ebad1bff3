"""An admin imports a CP932 file, reads the error, fixes and imports. (A manager editing the standards is
tests/browser/test_standards_table.py.)"""

import pytest

from accounts.models import Account
from tests.browser.steps import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


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
