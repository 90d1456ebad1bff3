"""A rep's morning in a real browser: log in, Today, log a touch, the account leaves the list in place."""

import datetime as dt

import pytest

from accounts.models import Account
from core.timeutil import business_today
from engine.models import Alert
from tests.factories import AccountFactory, OpportunityFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_rep_logs_a_touch_from_today_and_the_account_leaves_the_list_without_a_reload(browser_visit, base_url):
    from engine.services import recompute_all

    rep = UserFactory(username="rin", role="sales", full_name="Rin Rep", language="en")
    today = business_today()
    negotiating = AccountFactory(name="Kawasaki Tools", owner_sales=rep, is_target=True)
    OpportunityFactory(account=negotiating, opened_on=today - dt.timedelta(days=3), status="open", amount=3_000_000)
    hostile = AccountFactory(name="<script>alert(1)</script>", owner_sales=rep, is_target=True)
    OpportunityFactory(account=hostile, opened_on=today - dt.timedelta(days=3), status="open", amount=1_000)
    recompute_all(as_of=today)
    assert Alert.objects.filter(account=negotiating, status="open", assignee=rep).exists()

    page = browser_visit.page
    page.goto(f"{base_url}/login/")
    browser_visit.screenshot("login")
    page.fill("#id_username", "rin")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/today/")
    browser_visit.screenshot("today")

    item = page.locator("li.today-item", has_text="Kawasaki Tools")
    assert item.count() == 1
    assert "No human touch in the last 7 days" in item.inner_text()
    # The hostile name is text, and no script of it ran.
    assert page.locator("li.today-item", has_text="<script>alert(1)</script>").count() == 1
    page.evaluate("window.__sameDocument = true")

    item.get_by_label("Kind").select_option("human")
    item.get_by_label("Channel").select_option("visit")
    item.get_by_label("Content stage").select_option("negotiation")
    item.get_by_label("Note").fill("Met the buyer")
    item.get_by_role("button", name="Log touch").click()

    page.locator("li.today-item", has_text="Kawasaki Tools").wait_for(state="detached")
    assert "Kawasaki Tools is covered now" in page.locator("#today-status").inner_text()
    assert page.evaluate("window.__sameDocument") is True, "the page was reloaded"
    browser_visit.screenshot("today-after-touch")
    assert Alert.objects.get(account=negotiating, state="NEGOTIATION").status == "resolved"

    page.click("a.account-name")  # the remaining (hostile) account's page
    page.wait_for_url(f"{base_url}/accounts/{hostile.pk}/")
    browser_visit.screenshot("account")
    assert page.locator("h1").inner_text().startswith("<script>alert(1)</script>")

    page.goto(f"{base_url}/accounts/")
    browser_visit.screenshot("accounts")
    assert page.get_by_role("link", name="Kawasaki Tools").count() == 1
    assert Account.objects.count() == 2

    assert browser_visit.hosts == {"127.0.0.1"}, browser_visit.hosts
