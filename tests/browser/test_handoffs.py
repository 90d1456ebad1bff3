"""Handoffs in a real browser (docs/rules.md §8): a receiver accepts one handoff and rejects another from the inbox;
the account pages show the new owner and the returned handoff; a marketer sees the rejection on the ICP review."""

import re

import pytest

from accounts.models import Account
from core.timeutil import business_today
from handoffs.models import Handoff, HandoffAlert
from profiles.services import profile_save
from tests.browser.steps import log_in
from tests.factories import AccountFactory, UserFactory
from tests.handoffs.helpers import make_handoff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _two_handoffs_for_sora():
    """Two pending inside sales → sales handoffs (baton) addressed to Sora, a manager having given her both."""
    sora = UserFactory(username="sora", role="sales", full_name="Sora Receiver", language="en")
    sam = UserFactory(username="sam", role="sales", full_name="Sam Former", language="en")
    ivy = UserFactory(username="ivy", role="inside_sales", full_name="Ivy Sender", language="en")
    profile = profile_save(name="Mid-market makers", criteria=[
        {"attribute": "industry", "op": "in", "value": ["manufacturing"], "weight": 1}]).profile
    today = business_today()
    kept = dict(icp_profile=profile, icp_profile_name=profile.name, sender=ivy, created_on=today)
    kawasaki = AccountFactory(name="Kawasaki Tools", owner_sales=sam, owner_inside_sales=ivy)
    osaka = AccountFactory(name="Osaka Textiles", owner_sales=sam, owner_inside_sales=ivy)
    accepted = make_handoff(rule=2, account=kawasaki, assignee=sora, icp_fit=85, icp_tier="A", **kept)
    rejected = make_handoff(rule=2, account=osaka, assignee=sora, icp_fit=20, icp_tier="C", **kept)
    return profile, accepted, rejected


def test_receiver_accepts_and_rejects_from_the_inbox_and_the_account_and_icp_pages_show_it(browser_visit, base_url):
    from playwright.sync_api import expect

    profile, accepted, rejected = _two_handoffs_for_sora()
    UserFactory(username="mai", role="marketing", full_name="Mai Marketer", language="en")
    page = browser_visit.page
    log_in(browser_visit, base_url, "sora")
    page.goto(f"{base_url}/handoffs/")
    browser_visit.screenshot("inbox")
    first, second = page.locator(f"#handoff-{accepted.pk}"), page.locator(f"#handoff-{rejected.pk}")
    expect(first).to_contain_text("Kawasaki Tools")
    expect(second).to_contain_text("Osaka Textiles")

    first.get_by_role("button", name="Accept").click()
    expect(page.locator("#inbox-status")).to_contain_text("Accepted: Kawasaki Tools")
    second.get_by_label("Reason").select_option("not_icp")
    second.get_by_label("Comment").fill("Too small for us")
    second.get_by_role("button", name="Reject").click()
    expect(page.locator("#inbox-status")).to_contain_text("Rejected: Osaka Textiles")
    browser_visit.screenshot("inbox-decided")
    assert Handoff.objects.get(pk=accepted.pk).status == Handoff.Status.ACCEPTED
    assert Handoff.objects.get(pk=rejected.pk).status == Handoff.Status.REJECTED

    # The accepted account: Sora owns it as sales now and sales leads it; the rejected one stays Sam's.
    kawasaki, osaka = Account.objects.get(pk=accepted.account_id), Account.objects.get(pk=rejected.account_id)
    assert (kawasaki.owner_sales.username, kawasaki.lead_role, osaka.owner_sales.username) == ("sora", "sales", "sam")
    page.goto(f"{base_url}/accounts/{kawasaki.pk}/")
    browser_visit.screenshot("account-accepted")
    owners = page.locator("section[aria-labelledby=h-owners]")
    expect(owners).to_contain_text("Sora Receiver")
    expect(owners).not_to_contain_text("Sam Former")
    page.goto(f"{base_url}/accounts/{osaka.pk}/")
    browser_visit.screenshot("account-returned")
    returned = page.locator("section[aria-labelledby=h-handoffs]").get_by_role("row", name="Rejected")
    expect(returned).to_contain_text("Not our ideal customer")
    expect(returned).to_contain_text("Too small for us")
    alert = HandoffAlert.objects.get(handoff=rejected, kind=HandoffAlert.Kind.RETURNED)
    assert (alert.recipient.username, alert.reason, alert.comment) == ("ivy", "not_icp", "Too small for us")

    # The marketer signs in and reads the profile's review: tier A accepted, tier C rejected as not our ideal customer.
    page.context.clear_cookies()
    log_in(browser_visit, base_url, "mai")
    page.goto(f"{base_url}/profiles/{profile.pk}/review/")
    browser_visit.screenshot("icp-review")
    tiers = page.locator("#handoffs-by-tier")
    expect(tiers.get_by_role("row", name="Tier C")).to_contain_text("Not our ideal customer")
    expect(tiers.get_by_role("row", name="Tier A")).to_contain_text(re.compile(r"100(\.0)? %"))
    expect(tiers.get_by_role("row", name="Tier C")).to_contain_text(re.compile(r"\b0(\.0)? %"))
    assert browser_visit.hosts == {"127.0.0.1"}, browser_visit.hosts
