"""Coverage trends (docs/rules.md §9): each completed night of a period as it kept its figures — the selector, the page
`/dashboards/trends/` (charts' data, tables, CSV) and `GET /api/v1/dashboards/trends/`.

The figures are hand-computed from three nights written as the night's finish step writes them (a run and its
DailySnapshot), with a date run twice (the later completed run counts) and failed runs (never a night)."""

import datetime as dt
import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.choices import Role
from dashboards.models import DailySnapshot
from dashboards.trends import coverage_trends, trend_range
from engine.models import RecomputeRun
from engine.services import recompute_all
from segments.models import Segment
from tests.dashboards.access import assert_api_serves_every_role
from tests.factories import AccountFactory
from tests.web.access import assert_page_access

pytestmark = pytest.mark.django_db

D1, D2, D3 = dt.date(2026, 7, 18), dt.date(2026, 7, 19), dt.date(2026, 7, 20)
COMPLETED, FAILED = RecomputeRun.Status.COMPLETED, RecomputeRun.Status.FAILED


def _night(day, by_state, breadth, *runs):
    for status, opened, resolved in runs:
        RecomputeRun.objects.create(as_of=day, status=status, alerts_opened=opened, alerts_resolved=resolved)
    DailySnapshot.objects.create(as_of=day, by_state=by_state, breadth=breadth)


def _state(accounts, compliant, under_covered, grace):
    return {"accounts": accounts, "compliant": compliant, "under_covered": under_covered, "grace": grace}


@pytest.fixture
def nights():
    """Three nights; 2026-07-17 only failed (its snapshot left over), so it is not a night."""
    _night(dt.date(2026, 7, 17), {"LOYAL": _state(9, 9, 0, 0)}, {"target_accounts": 1}, (FAILED, 50, 50))
    _night(D1, {"LOYAL": _state(4, 1, 2, 1), "ACTIVE": _state(2, 2, 0, 0), "TARGET_NO_LEAD": _state(3, 0, 0, 0)},
           {"target_accounts": 9, "touched_30d": 3, "touched_90d": 6}, (COMPLETED, 5, 1))
    _night(D2, {"LOYAL": _state(4, 3, 1, 0)}, {"target_accounts": 10, "touched_30d": 5, "touched_90d": 8},
           (COMPLETED, 7, 0), (COMPLETED, 2, 3), (FAILED, 99, 99))
    _night(D3, {"LOYAL": _state(4, 4, 0, 0), "ACTIVE": _state(2, 1, 0, 1)},
           {"target_accounts": 10, "touched_30d": 10, "touched_90d": 10}, (COMPLETED, 0, 4))


def _en(user):
    """The reader, in English (the personas read Japanese), so that the page's words can be asserted."""
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def _names():
    return {s.code: s.name_en for s in Segment.objects.all()}


def test_each_completed_night_gives_its_hand_computed_figures(nights, django_assert_num_queries):
    with django_assert_num_queries(2):
        trends = coverage_trends(start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))
    assert [n["as_of"] for n in trends["nights"]] == ["2026-07-18", "2026-07-19", "2026-07-20"]
    # The second completed run of 07-19 counts; its failed run (99/99) and 07-17's failed run do not.
    assert [(n["alerts_opened"], n["alerts_resolved"]) for n in trends["nights"]] == [(5, 1), (2, 3), (0, 4)]
    first, second, third = trends["nights"]
    assert first["by_state"]["LOYAL"]["rate"] == 0.25  # 1 ÷ (1 + 2 + 1)
    assert first["by_state"]["ACTIVE"]["rate"] == 1.0
    assert first["by_state"]["TARGET_NO_LEAD"]["rate"] is None  # no requirements: nothing to rate
    assert second["by_state"]["LOYAL"]["rate"] == 0.75 and second["by_state"]["ACTIVE"]["rate"] is None
    assert third["by_state"]["ACTIVE"] == {**_state(2, 1, 0, 1), "rate": 0.5}
    assert first["breadth"] == {"target_accounts": 9, "touched_30d": 3, "touched_90d": 6,
                                "touched_30d_rate": 0.3333, "touched_90d_rate": 0.6667}
    assert (second["breadth"]["touched_30d_rate"], second["breadth"]["touched_90d_rate"]) == (0.5, 0.8)


def test_the_period_includes_both_ends_and_nothing_outside(nights):
    assert [n["as_of"] for n in coverage_trends(start=D2, end=D2)["nights"]] == ["2026-07-19"]
    assert [n["as_of"] for n in coverage_trends(start=D2, end=D3)["nights"]] == ["2026-07-19", "2026-07-20"]


def test_a_real_night_is_read_back_as_its_snapshot():
    AccountFactory(is_target=True)
    recompute_all(as_of=D3)
    night, = coverage_trends(start=D3, end=D3)["nights"]
    assert night["breadth"]["target_accounts"] == 1 and night["breadth"]["touched_30d_rate"] == 0.0


def test_the_default_period_is_the_90_days_to_today_in_the_business_zone(monkeypatch):
    # 2026-07-20 14:59:59 UTC is 23:59:59 in Tokyo; a second later it is 2026-07-21 00:00:00 there.
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 7, 20, 14, 59, 59, tzinfo=dt.timezone.utc))
    assert trend_range(None, None) == (dt.date(2026, 4, 22), D3)
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 7, 20, 15, 0, 0, tzinfo=dt.timezone.utc))
    assert trend_range(None, None) == (dt.date(2026, 4, 23), dt.date(2026, 7, 21))
    assert trend_range(None, "2026-07-20") == (dt.date(2026, 4, 22), D3)
    assert trend_range("2026-07-01", "") == (dt.date(2026, 7, 1), dt.date(2026, 7, 21))


@pytest.fixture
def api():
    return APIClient()


@pytest.mark.parametrize(("query", "field"), [
    ({"from": "2026-07-20", "to": "2026-07-19"}, "from"),
    ({"from": "18/07/2026"}, "from"),
    ({"to": "tomorrow"}, "to"),
    ({"from": "2024-07-19", "to": "2026-07-20"}, "from"),  # 732 days
])
def test_a_bad_period_is_refused_naming_the_field(api, client, manager, query, field):
    api.force_authenticate(manager)
    response = api.get("/api/v1/dashboards/trends/", query)
    assert response.status_code == 400 and list(response.json()) == [field]
    client.force_login(_en(manager))
    page = client.get("/dashboards/trends/", query)
    label = field
    assert page.status_code == 400 and f"{label}: " in page.content.decode()
    export = client.get("/dashboards/trends/", {**query, "format": "csv", "table": "alerts"})
    assert export.status_code == 400 and export.content.decode().startswith(f"{label}: ")


def test_two_years_is_the_longest_period(api, manager):
    api.force_authenticate(manager)
    assert api.get("/api/v1/dashboards/trends/", {"from": "2024-07-20", "to": "2026-07-20"}).status_code == 200


def test_the_api_answers_the_nights_of_the_period(api, manager, nights):
    api.force_authenticate(manager)
    data = api.get("/api/v1/dashboards/trends/", {"from": "2026-07-19", "to": "2026-07-31"}).json()
    assert data["from"] == "2026-07-19" and data["to"] == "2026-07-31"
    assert [(n["as_of"], n["alerts_opened"], n["by_state"]["LOYAL"]["rate"]) for n in data["nights"]] == [
        ("2026-07-19", 2, 0.75), ("2026-07-20", 0, 1.0)]
    assert api.get("/api/v1/dashboards/trends/", {"from": "2026-06-01", "to": "2026-06-30"}).json()["nights"] == []


def test_the_page_shows_each_figure_in_a_table_and_the_charts_data(client, manager, nights):
    client.force_login(_en(manager))
    response = client.get("/dashboards/trends/", {"from": "2026-07-01", "to": "2026-07-31"})
    assert response.status_code == 200
    tables = {t["name"]: t for t in response.context["tables"]}
    names = _names()
    assert tables["compliance"]["header"] == ["Date", f"{names['LOYAL']} (%)", f"{names['ACTIVE']} (%)"]
    assert tables["compliance"]["rows"] == [["2026-07-18", 25.0, 100.0], ["2026-07-19", 75.0, None],
                                            ["2026-07-20", 100.0, 50.0]]
    assert tables["alerts"]["rows"] == [["2026-07-18", 5, 1], ["2026-07-19", 2, 3], ["2026-07-20", 0, 4]]
    assert tables["breadth"]["rows"][0] == ["2026-07-18", 9, 3, 33.3, 6, 66.7]
    html = response.content.decode()
    chart = json.loads(html.split('id="trend-data" type="application/json">')[1].split("</script>")[0])
    assert chart["labels"] == ["2026-07-18", "2026-07-19", "2026-07-20"]
    assert chart["compliance"][0] == {"label": f"{names['LOYAL']} (%)", "data": [25.0, 75.0, 100.0]}
    assert [s["data"] for s in chart["alerts"]] == [[5, 2, 0], [1, 3, 4]]
    assert chart["breadth"][1]["data"] == [66.7, 80.0, 100.0]
    assert "js/vendor/chart.umd" in html and "js/dashboard-charts" in html
    assert "<script>" not in html  # the data goes by json_script, the drawing by a static file (CSP)


def test_the_state_labels_follow_the_readers_language(client, manager, nights):
    client.force_login(manager)  # the personas read Japanese
    response = client.get("/dashboards/trends/", {"from": "2026-07-01", "to": "2026-07-31"})
    loyal = Segment.objects.get(code="LOYAL").name_ja
    assert response.context["tables"][0]["header"][1].startswith(loyal)


def test_a_period_without_a_completed_night_says_so(client, api, manager, nights):
    client.force_login(_en(manager))
    response = client.get("/dashboards/trends/", {"from": "2026-07-17", "to": "2026-07-17"})  # only a failed run
    assert response.status_code == 200
    assert "No completed night in this period" in response.content.decode()
    assert "trend-data" not in response.content.decode()
    api.force_authenticate(manager)
    assert api.get("/api/v1/dashboards/trends/", {"from": "2026-07-17", "to": "2026-07-17"}).json()["nights"] == []


def test_each_table_downloads_as_csv_with_a_bom(client, manager, nights):
    client.force_login(_en(manager))
    period = {"from": "2026-07-18", "to": "2026-07-19", "format": "csv"}
    response = client.get("/dashboards/trends/", {**period, "table": "alerts"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "coverage-trends-alerts-2026-07-18-2026-07-19.csv" in response["Content-Disposition"]
    body = response.content.decode("utf-8")
    assert body == "\ufeffDate,Alerts opened,Alerts resolved\r\n2026-07-18,5,1\r\n2026-07-19,2,3\r\n"
    compliance = client.get("/dashboards/trends/", {**period, "table": "compliance"}).content.decode()
    assert compliance.startswith("\ufeffDate,") and "\r\n2026-07-19,75.0,\r\n" in compliance
    breadth = client.get("/dashboards/trends/", {**period, "table": "breadth"}).content.decode()
    assert breadth.splitlines()[1] == "2026-07-18,9,3,33.3,6,66.7"
    refused = client.get("/dashboards/trends/", {**period, "table": "everything"})
    assert refused.status_code == 400 and refused.content.decode().startswith("table: ")


def test_every_role_may_read_the_trends_and_anonymous_is_sent_to_login(client, personas):
    assert_page_access(client, personas, "/dashboards/trends/", tuple(Role.values))


def test_the_api_answers_every_role_and_refuses_anonymous(api, personas):
    assert_api_serves_every_role(personas, "/api/v1/dashboards/trends/", api)


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_nights(client, manager, django_assert_max_num_queries):
    start = dt.date(2025, 7, 21)
    RecomputeRun.objects.bulk_create([RecomputeRun(as_of=start + dt.timedelta(days=i), status=COMPLETED,
                                                   alerts_opened=i) for i in range(365)])
    DailySnapshot.objects.bulk_create([DailySnapshot(as_of=start + dt.timedelta(days=i),
                                                     by_state={"LOYAL": _state(2, 1, 1, 0)},
                                                     breadth={"target_accounts": 2, "touched_30d": 1})
                                       for i in range(365)])
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        response = client.get("/dashboards/trends/", {"from": "2025-07-21", "to": "2026-07-20"})
    assert len(response.context["tables"][1]["rows"]) == 365
    with django_assert_max_num_queries(8):
        assert client.get("/dashboards/trends/", {"from": "2025-07-21", "to": "2026-07-20", "format": "csv",
                                                  "table": "compliance"}).status_code == 200
