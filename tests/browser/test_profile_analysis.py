"""Marketing reads why an account got its fit, turns the best customers' traits into a draft profile, and
refreshes the stored figures the analysis pages read."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from core.choices import State
from profiles.models import AnalysisRefresh, IcpProfile
from profiles.services import analysis_refresh_all, profile_save
from tests.browser.steps import log_in
from tests.factories import AccountFactory, OpportunityFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def market():
    for i in range(6):
        account = AccountFactory(name=f"Loyal Works {i}", state=State.LOYAL, industry="manufacturing", employees=1500,
                                 departments=["marketing"])
        OpportunityFactory(account=account, status="won", closed_on=dt.date(2026, 3, 1))
    for i in range(10):
        AccountFactory(name=f"Prospect {i}", state=State.LEAD, industry="retail" if i % 3 else "manufacturing",
                       employees=40)


def test_marketer_reads_why_an_account_got_its_fit(browser_visit, base_url):
    UserFactory(username="mari", role="marketing", language="en")
    market()
    version = profile_save(name="Manufacturers", rescore=False, criteria=[
        {"attribute": "industry", "op": "eq", "value": "manufacturing", "weight": 50},
        {"attribute": "employees", "op": "gte", "value": 1000, "weight": 30},
        {"attribute": "departments", "op": "contains", "value": "marketing", "weight": 20},
    ])
    analysis_refresh_all()  # what the nightly job or the button stores; the page reads it
    log_in(browser_visit, base_url, "mari")
    page = browser_visit.page
    page.goto(f"{base_url}/profiles/{version.profile_id}/review/")
    page.wait_for_selector("#fit-histogram")
    browser_visit.screenshot("review")
    assert page.locator("#tier-counts").inner_text().split() == ["A", "(≥", "80)", "6", "B", "(≥", "50)", "4", "C", "6"]
    page.fill("#id_q", "Prospect 3")
    page.click("#h-search ~ form button[type=submit]")
    page.wait_for_selector("#search-results")
    page.click("#search-results a:has-text('Prospect 3')")
    page.wait_for_selector("#explanation")
    browser_visit.screenshot("explanation")
    summary = page.locator("#fit-summary").inner_text()
    assert "50 / 100" in summary and "tier B" in summary
    rows = page.locator("#explanation tbody tr")
    assert rows.count() == 3
    assert "matched" in rows.nth(0).inner_text() and rows.nth(0).locator("td.num").all_inner_texts() == ["50", "0"]
    assert "not matched" in rows.nth(1).inner_text() and rows.nth(1).locator("td.num").all_inner_texts() == ["0", "30"]
    assert "(missing)" in rows.nth(2).inner_text()
    # The top list of the review page links to the same page for its accounts.
    page.go_back()
    page.go_back()
    page.click("#top-accounts a >> nth=0")
    page.wait_for_selector("#explanation")
    assert "100 / 100" in page.locator("#fit-summary").inner_text()
    assert browser_visit.hosts <= {"127.0.0.1"}


def test_marketer_creates_a_draft_profile_from_the_best_customers(browser_visit, base_url):
    UserFactory(username="mari", role="marketing", language="en")
    market()
    analysis_refresh_all()
    log_in(browser_visit, base_url, "mari")
    page = browser_visit.page
    page.goto(f"{base_url}/profiles/learn/")
    page.wait_for_selector("#lift-table")
    assert "too few to tell" in page.locator("#lift-table").inner_text()  # 6 best customers < 30
    assert page.locator("#create-draft").count() == 0
    page.fill("#id_min_sample", "5")
    page.click("#learn-form button[type=submit]")
    page.wait_for_selector("#create-draft")
    browser_visit.screenshot("learn")
    suggestions = page.locator("#suggestions").inner_text()
    assert "Industry is one of manufacturing" in suggestions
    page.fill("#id_name", "Best customers draft")
    page.click("#create-draft button[type=submit]")
    page.wait_for_selector("#criterion-hits")
    browser_visit.screenshot("draft")
    draft = IcpProfile.objects.get(name="Best customers draft")
    assert not draft.active
    assert {"attribute": "industry", "op": "in", "value": ["manufacturing"], "weight": 16} in draft.current_version.criteria
    assert "Best customers draft" in page.locator("h1").inner_text()
    assert "inactive" in page.locator("h1").inner_text()
    assert "created (inactive)" in page.locator(".messages").inner_text()
    assert browser_visit.hosts <= {"127.0.0.1"}


def test_marketer_refreshes_the_figures_and_a_reader_watches_a_refresh_finish(browser_visit, base_url):
    UserFactory(username="mari", role="marketing", language="en")
    UserFactory(username="sam", role="sales", language="en")
    market()
    log_in(browser_visit, base_url, "mari")
    page = browser_visit.page
    page.goto(f"{base_url}/profiles/breadth/")
    page.wait_for_selector("#not-computed")
    browser_visit.screenshot("not-computed")
    assert page.locator("#by-state").count() == 0
    page.click("#refresh-figures button")  # Celery runs eagerly here: the refresh is done when the page returns
    page.wait_for_selector("#figures-as-of")
    browser_visit.screenshot("refreshed")
    assert "Figures as of" in page.locator("#figures-as-of").inner_text()
    assert page.locator("#by-state").count() == 1
    assert AnalysisRefresh.objects.get().created_by.username == "mari"

    # A reader sees no button; while a refresh runs the page polls it and reloads when it has finished.
    page.context.clear_cookies()
    log_in(browser_visit, base_url, "sam")
    refresh = AnalysisRefresh.objects.create(reason="nightly", status=AnalysisRefresh.Status.RUNNING,
                                             steps_done=1, steps_total=4)
    page.goto(f"{base_url}/profiles/learn/")
    page.wait_for_selector("#analysis-refresh")
    assert page.locator("#refresh-figures").count() == 0
    assert "1 / 4" in page.locator("#analysis-refresh").inner_text()
    AnalysisRefresh.objects.filter(id=refresh.id).update(steps_done=3)
    expect(page.locator("#refresh-steps")).to_contain_text("3 / 4")  # a locator: no eval, which the CSP forbids
    AnalysisRefresh.objects.filter(id=refresh.id).update(status=AnalysisRefresh.Status.SUCCEEDED, steps_done=4)
    page.wait_for_selector("#analysis-refresh", state="detached")  # htmx reloaded the page
    assert page.locator("#figures-as-of").count() == 1
    assert browser_visit.hosts <= {"127.0.0.1"}
