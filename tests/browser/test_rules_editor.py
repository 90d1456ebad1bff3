"""A manager checks a new handoff rule's 90-day count (htmx, under the Content-Security-Policy), saves it and moves
it up; an admin adds a company holiday to the business calendar."""

import datetime as dt

import pytest

from core.models import ClosedDay
from core.timeutil import business_today
from handoffs.models import HandoffRule
from segments.models import StateTransition
from tests.browser.steps import log_in
from tests.factories import AccountFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_manager_checks_saves_and_moves_a_rule(browser_visit, base_url):
    UserFactory(username="maki", role="manager", language="en")
    account = AccountFactory()
    StateTransition.objects.bulk_create([StateTransition(account=account, as_of=business_today(), from_state="LEAD",
                                                         to_state="NEGOTIATION", rule="t") for _ in range(4)])
    log_in(browser_visit, base_url, "maki")
    page = browser_visit.page
    page.goto(f"{base_url}/handoffs/rules/new/")
    page.fill("#id_name", "lead-straight-to-sales")
    page.fill("#id_order", "15")  # after the first default rule (10): one move up makes it the first
    page.select_option("#id_to_state", "NEGOTIATION")
    page.check("input[name=from_states][value=LEAD]")
    page.select_option("#id_from_role", "marketing")
    page.select_option("#id_to_role", "sales")
    page.fill("#id_sla_business_hours", "8")
    page.click("button[value=check]")
    page.wait_for_selector(".rule-preview")
    browser_visit.screenshot("checked")
    assert "4 handoffs since" in page.locator("#rule-preview").inner_text()
    assert page.url.endswith("/handoffs/rules/new/") and not HandoffRule.objects.filter(order=15).exists()
    page.click("button[value=save]")
    page.wait_for_selector(".rules-table")
    saved = HandoffRule.objects.get(name="lead-straight-to-sales")
    page.click(f"#rule-{saved.pk} button[aria-label*=up]")
    page.wait_for_selector(".rules-table")
    browser_visit.screenshot("moved")
    assert list(HandoffRule.objects.order_by("order", "id").values_list("name", flat=True))[0] == saved.name


def test_admin_adds_a_company_holiday(browser_visit, base_url):
    UserFactory(username="ada", role="admin", language="en")
    log_in(browser_visit, base_url, "ada")
    page = browser_visit.page
    page.goto(f"{base_url}/handoffs/calendar/")
    page.fill("#id_date", "2026-12-29")
    page.fill("#id_name", "Year-end closing")
    page.click("text=Add closed day")
    page.wait_for_selector("text=Year-end closing")
    browser_visit.screenshot("calendar")
    assert ClosedDay.objects.get().date == dt.date(2026, 12, 29)
