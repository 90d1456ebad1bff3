"""A manager reads the coverage trends: opens them from the dashboard, changes the period — the charts and the tables
follow — and downloads a table as CSV; every asset (Chart.js included) comes from the app."""

import datetime as dt

import pytest

from dashboards.models import DailySnapshot
from engine.models import RecomputeRun
from tests.browser.steps import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def nights():
    """Five nights, 2026-07-16 … 2026-07-20: LOYAL 1 of 4 compliant rising to 4 of 4, i alerts opened on night i."""
    for i in range(5):
        day = dt.date(2026, 7, 16) + dt.timedelta(days=i)
        RecomputeRun.objects.create(as_of=day, status=RecomputeRun.Status.COMPLETED, alerts_opened=i,
                                    alerts_resolved=1)
        compliant = min(i + 1, 4)
        DailySnapshot.objects.create(
            as_of=day, by_state={"LOYAL": {"accounts": 4, "compliant": compliant, "under_covered": 4 - compliant,
                                           "grace": 0}},
            breadth={"target_accounts": 10, "touched_30d": 2 * i, "touched_90d": 5})


def chart_labels(page, name):
    page.wait_for_function(f"window.dashboardCharts && window.dashboardCharts.{name}")
    return page.evaluate(f"window.dashboardCharts.{name}.data.labels")


def test_manager_changes_the_period_and_downloads_a_table(browser_visit, base_url, tmp_path):
    UserFactory(username="mio", role="manager", language="en")
    nights()
    log_in(browser_visit, base_url, "mio")
    page = browser_visit.page
    page.goto(f"{base_url}/dashboards/")
    page.click("#trends-link")
    page.fill("#id_from", "2026-07-16")
    page.fill("#id_to", "2026-07-20")
    page.click("#dashboard-filters button[type=submit]")
    page.wait_for_selector("#chart-compliance")
    assert "from=2026-07-16" in page.url and "to=2026-07-20" in page.url  # the period is kept in the URL
    assert chart_labels(page, "alerts") == [f"2026-07-{d}" for d in range(16, 21)]
    assert page.evaluate("window.dashboardCharts.compliance.data.datasets[0].data") == [25, 50, 75, 100, 100]
    assert page.locator("#trend-alerts tbody tr").count() == 5
    browser_visit.screenshot("five-nights")

    page.fill("#id_from", "2026-07-19")
    page.click("#dashboard-filters button[type=submit]")
    page.wait_for_url("**from=2026-07-19**")
    assert chart_labels(page, "alerts") == ["2026-07-19", "2026-07-20"]
    assert page.evaluate("window.dashboardCharts.alerts.data.datasets[0].data") == [3, 4]
    assert page.locator("#trend-alerts tbody tr").all_inner_texts() == ["2026-07-19\t3\t1", "2026-07-20\t4\t1"]
    browser_visit.screenshot("two-nights")

    with page.expect_download() as download:
        page.click("#trend-alerts a.export")
    path = tmp_path / "alerts.csv"
    download.value.save_as(path)
    assert path.read_bytes().decode("utf-8") == (
        "\ufeffDate,Alerts opened,Alerts resolved\r\n2026-07-19,3,1\r\n2026-07-20,4,1\r\n")

    page.fill("#id_from", "2026-06-01")
    page.fill("#id_to", "2026-06-30")
    page.click("#dashboard-filters button[type=submit]")
    page.wait_for_selector("#trends-empty")
    browser_visit.screenshot("empty")
    assert browser_visit.hosts == {"127.0.0.1"}
