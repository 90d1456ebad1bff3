"""A manager measures coverage on the demo organisation, end to end: `seed_demo` with two weeks of real nights, then
today's night as `make demo` runs it. The manager opens the dashboard, narrows it to ICP tier A — the tables and the
funnel chart show other numbers —, follows a count to the accounts list, which lists exactly the accounts counted,
and downloads the table as CSV (BOM, header, the same figures). Screenshots go to test-artifacts/screenshots/,
which CI keeps."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from core.timeutil import business_today
from engine.services import recompute_all
from tests.browser.steps import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PAGE_SIZE = 50  # the accounts list's page (accounts.views.PAGE_SIZE): a drill-down below it fits on one page


def shot(page, label: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"dashboard-measurement-{label}.png"), full_page=True)


def state_counts(page) -> dict[str, int]:
    """The coverage page's accounts per state, as the "Depth by state" table shows them."""
    counts = {}
    for row in page.locator("#coverage-states tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        if len(cells) >= 2 and cells[1].strip().isdigit():
            counts[cells[0].strip()] = int(cells[1])
    return counts


def funnel_data(page) -> list[int]:
    page.wait_for_function("window.funnelChart && window.funnelChart.data")
    return page.evaluate("window.funnelChart.data.datasets[0].data")


def test_manager_filters_the_dashboard_follows_a_count_to_its_accounts_and_downloads_the_table(
        browser_visit, base_url, tmp_path):
    call_command("seed_demo", "--accounts", "150", "--seed", "11", "--history-days", "14", stdout=io.StringIO())
    recompute_all(as_of=business_today())  # `make demo`: today's night again, after the seed
    page = browser_visit.page
    page.set_default_timeout(60_000)  # pages over a seeded organisation, on a machine CI may share
    log_in(browser_visit, base_url, "manager", password="demo-pass-2026")

    page.goto(f"{base_url}/dashboards/")
    everyone = state_counts(page)
    assert sum(everyone.values()) > 0
    target_all = int(re.sub(r"\D", "", page.locator("#coverage-breadth strong").first.inner_text()))
    shot(page, "01-coverage-everyone")

    page.select_option("#id_icp_tier", "A")
    page.click("#dashboard-filters button[type=submit]")
    page.wait_for_url("**icp_tier=A**")  # the filter is kept in the URL
    tier_a = state_counts(page)
    target_a = int(re.sub(r"\D", "", page.locator("#coverage-breadth strong").first.inner_text()))
    assert 0 < sum(tier_a.values()) < sum(everyone.values())
    assert all(tier_a[state] <= everyone[state] for state in tier_a)
    assert 0 < target_a < target_all
    shot(page, "02-coverage-tier-a")

    # Drill down: a count small enough for one page opens exactly the accounts it counts.
    state, n = min(((s, c) for s, c in tier_a.items() if 0 < c <= PAGE_SIZE), key=lambda item: -item[1])
    row = page.locator("#coverage-states tbody tr", has=page.locator(f"td:text-is('{state}')"))
    row.locator("td").nth(1).locator("a").click()
    page.wait_for_selector("#account-table")
    listed = page.locator("#account-table tbody tr")
    assert listed.count() == n
    for cells in (listed.nth(i).locator("td").all_inner_texts() for i in range(n)):
        assert cells[1].startswith(state) and cells[2].startswith("A ·")  # the list may add what the state means
    assert page.locator("#account-table a[rel=next]").count() == 0
    shot(page, "03-accounts-drill-down")
    page.go_back()
    page.wait_for_selector("#coverage-states")

    # The table as CSV, Excel-safe: a BOM, a header, the figures the page shows.
    with page.expect_download() as download:
        page.click("#coverage-states a.export")
    path = tmp_path / "states.csv"
    download.value.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows[0]) >= 5 and all(rows[0])
    assert [state, str(n)] == rows[[r[0] for r in rows].index(state)][:2]

    # The funnel's chart and table follow the same filter.
    page.goto(f"{base_url}/dashboards/funnel/")
    funnel_everyone = funnel_data(page)
    page.select_option("#id_icp_tier", "A")
    page.click("#dashboard-filters button[type=submit]")
    page.wait_for_url("**icp_tier=A**")
    funnel_a = funnel_data(page)
    assert len(funnel_a) == len(funnel_everyone) and sum(funnel_a) < sum(funnel_everyone)
    shot(page, "04-funnel-tier-a")
    assert browser_visit.hosts == {"127.0.0.1"}
