"""Coverage trends with the shared filters (dashboards.trends.filtered_trends, the page and the API): two nights'
kept breadth and depth rows, written by hand, give hand-computed figures per night for account attributes and for
people (breadth kept per owner: each account once for a team, an owner, everyone); reps read their own and their
team's; a bad or out-of-scope filter is refused naming it; CSV keeps the
filter; the page reads a fixed number of queries for a year of nights."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.choices import Role, State
from core.models import User
from dashboards.filtering import parse_filters
from dashboards.models import BreadthSnapshot, DepthSnapshot
from dashboards.trends import filtered_trends
from engine.models import RecomputeRun
from tests.web.access import assert_page_access

pytestmark = pytest.mark.django_db

D1, D2 = dt.date(2026, 7, 19), dt.date(2026, 7, 20)
PAGE = reverse("dashboards:trends")
API = "/api/v1/dashboards/trends/"
PERIOD = {"from": "2026-07-01", "to": "2026-07-31"}


@pytest.fixture(autouse=True)
def english(personas):
    User.objects.update(language="en")


def _breadth(day, state, industry, region, tier, accounts, compliant, under_covered, grace, t30, t90, first=True,
             owner=None, first_owner=True, first_in_team=True):
    BreadthSnapshot.objects.create(as_of=day, state=state, industry=industry, region=region, icp_tier=tier,
                                   first_region=first, accounts=accounts, compliant=compliant,
                                   under_covered=under_covered, grace=grace, touched_30d=t30, touched_90d=t90,
                                   owner=owner, team=owner.team if owner else "", first_owner=first_owner,
                                   first_in_team=first_in_team)


def _depth(day, state, role, owner, accounts, compliant, under_covered, grace):
    DepthSnapshot.objects.create(as_of=day, state=state, responsible_role=role, owner=owner,
                                 team=owner.team if owner else "", accounts=accounts, compliant=compliant,
                                 under_covered=under_covered, grace=grace)


@pytest.fixture
def nights(sales, csm, west):
    """D1: ACTIVE retail (Kanto, then Kansai for the same 2 accounts) 2 accounts, 1 compliant, 1 under-covered,
    1 touched in 30 days, 2 in 90, owned by Sora (east); ACTIVE it 3 compliant, all touched, owned by Wes (west);
    OUT_OF_SCOPE retail 5, no owner. D2: ACTIVE retail 2 compliant, both touched, owned by Sora and Chika (both
    east: kept on both owners' rows, Chika's neither first owner nor first in the team). Depth: Sora (east) ACTIVE
    sales 2 → 1 compliant, then 2; Chika (east) LOYAL csm 1 under-covered both nights; Wes (west) ACTIVE sales 4
    compliant both nights. Runs: 3 alerts opened on D1, 1 on D2."""
    RecomputeRun.objects.create(as_of=D1, status=RecomputeRun.Status.COMPLETED, alerts_opened=3, alerts_resolved=0)
    RecomputeRun.objects.create(as_of=D2, status=RecomputeRun.Status.COMPLETED, alerts_opened=1, alerts_resolved=2)
    _breadth(D1, State.ACTIVE, "retail", "kanto", "A", 2, 1, 1, 0, 1, 2, owner=sales)
    _breadth(D1, State.ACTIVE, "retail", "kansai", "A", 2, 1, 1, 0, 1, 2, first=False, owner=sales)
    _breadth(D1, State.ACTIVE, "it", "", "B", 3, 3, 0, 0, 3, 3, owner=west)
    _breadth(D1, State.OUT_OF_SCOPE, "retail", "", "", 5, 0, 0, 0, 5, 5)
    _breadth(D2, State.ACTIVE, "retail", "kanto", "A", 2, 2, 0, 0, 2, 2, owner=sales)
    _breadth(D2, State.ACTIVE, "retail", "kanto", "A", 2, 2, 0, 0, 2, 2, owner=csm, first_owner=False,
             first_in_team=False)
    for day, sora_compliant in ((D1, 1), (D2, 2)):
        _depth(day, State.ACTIVE, Role.SALES, sales, 2, sora_compliant, 2 - sora_compliant, 0)
        _depth(day, State.LOYAL, Role.CSM, csm, 1, 0, 1, 0)
        _depth(day, State.ACTIVE, Role.SALES, west, 4, 4, 0, 0)


def _f(params, user=None):
    return parse_filters(params, user)


def test_account_attributes_narrow_each_nights_compliance_and_breadth(nights, manager, django_assert_num_queries):
    with django_assert_num_queries(2):
        trends = filtered_trends(start=D1, end=D2, f=_f({"industry": "Retail"}, manager))
    first, second = trends["nights"]
    # Kanto's row only (each account once): 1 compliant of 2; OUT_OF_SCOPE is not a target account.
    assert first["by_state"][State.ACTIVE] == {"accounts": 2, "compliant": 1, "under_covered": 1, "grace": 0,
                                               "rate": 0.5}
    assert first["breadth"] == {"target_accounts": 2, "touched_30d": 1, "touched_90d": 2, "touched_30d_rate": 0.5,
                                "touched_90d_rate": 1.0}
    assert (first["alerts_opened"], second["alerts_resolved"]) == (3, 2)
    assert second["by_state"][State.ACTIVE]["rate"] == 1.0
    assert trends["filters"] == {"industry": "Retail"} and trends["scope"] == "all"


def test_a_region_counts_the_accounts_with_that_region(nights, manager):
    first, second = filtered_trends(start=D1, end=D2, f=_f({"region": "kansai"}, manager))["nights"]
    assert first["by_state"][State.ACTIVE]["accounts"] == 2 and first["breadth"]["target_accounts"] == 2
    assert second["by_state"][State.ACTIVE]["accounts"] == 0 and second["breadth"]["target_accounts"] == 0


def test_a_tier_and_a_state(nights, manager):
    first, _ = filtered_trends(start=D1, end=D2, f=_f({"icp_tier": "B", "state": State.ACTIVE}, manager))["nights"]
    assert first["by_state"][State.ACTIVE] == {"accounts": 3, "compliant": 3, "under_covered": 0, "grace": 0,
                                               "rate": 1.0}


def test_a_team_narrows_compliance_per_state_and_breadth_without_alerts(nights, manager,
                                                                          django_assert_num_queries):
    with django_assert_num_queries(3):
        first, second = filtered_trends(start=D1, end=D2, f=_f({"team": "east"}, manager))["nights"]
    assert first["by_state"][State.ACTIVE]["rate"] == 0.5 and second["by_state"][State.ACTIVE]["rate"] == 1.0
    assert first["by_state"][State.LOYAL]["under_covered"] == 1
    assert first["alerts_opened"] is None
    # East's retail accounts, once (Kanto's row); on D2 the two accounts Sora and Chika both own count once.
    assert first["breadth"] == {"target_accounts": 2, "touched_30d": 1, "touched_90d": 2, "touched_30d_rate": 0.5,
                                "touched_90d_rate": 1.0}
    assert (second["breadth"]["target_accounts"], second["breadth"]["touched_30d"]) == (2, 2)


def test_an_owner_and_the_whole_organisation_count_each_account_once(nights, manager, csm, west):
    first, second = filtered_trends(start=D1, end=D2, f=_f({"owner": str(csm.pk)}, manager))["nights"]
    assert (first["breadth"]["target_accounts"], second["breadth"]["target_accounts"]) == (0, 2)
    first, _ = filtered_trends(start=D1, end=D2, f=_f({"owner": str(west.pk)}, manager))["nights"]
    assert first["breadth"]["target_accounts"] == 3
    first, second = filtered_trends(start=D1, end=D2, f=_f({"state": State.ACTIVE}, manager))["nights"]
    assert (first["breadth"]["target_accounts"], second["breadth"]["target_accounts"]) == (5, 2)


def test_a_rep_reads_their_own_and_their_teams_trends(client, nights, sales, west):
    client.force_login(sales)
    response = client.get(PAGE, PERIOD)
    assert response.status_code == 200 and response.context["people_mode"]
    assert [t["name"] for t in response.context["tables"]] == ["compliance", "breadth"]
    compliance = response.context["tables"][0]
    assert compliance["rows"] == [["2026-07-19", 0.0, 50.0], ["2026-07-20", 0.0, 100.0]]  # LOYAL, ACTIVE
    api = APIClient()
    api.force_authenticate(sales)
    body = api.get(API, PERIOD).json()
    assert body["scope"] == "team" and body["nights"][0]["by_state"][State.ACTIVE]["accounts"] == 2
    assert [n["breadth"]["target_accounts"] for n in body["nights"]] == [2, 2]  # team east's accounts, each once
    refused = client.get(PAGE, {**PERIOD, "team": "west"})
    assert refused.status_code == 400 and "team: " in refused.content.decode()
    assert api.get(API, {**PERIOD, "owner": str(west.pk)}).json().keys() == {"owner"}


@pytest.mark.parametrize(("params", "field"), [
    ({"state": "NOPE"}, "state"), ({"icp_tier": "9"}, "icp_tier"), ({"owner": "x"}, "owner"),
    ({"industry": "i" * 101}, "industry"),
])
def test_a_bad_filter_is_refused_naming_it(client, nights, manager, params, field):
    client.force_login(manager)
    page = client.get(PAGE, {**PERIOD, **params})
    assert page.status_code == 400 and f"{field}: " in page.content.decode()
    export = client.get(PAGE, {**PERIOD, **params, "format": "csv", "table": "compliance"})
    assert export.status_code == 400 and export.content.decode().startswith(f"{field}: ")
    api = APIClient()
    api.force_authenticate(manager)
    assert list(api.get(API, {**PERIOD, **params}).json()) == [field]


def test_the_csv_keeps_the_filter(client, nights, manager):
    client.force_login(manager)
    page = client.get(PAGE, {**PERIOD, "industry": "retail"})
    assert "industry=retail" in page.context["csv_query"]
    body = client.get(PAGE, {**PERIOD, "industry": "retail", "format": "csv", "table": "breadth"}).content.decode()
    assert body.splitlines()[1:] == ["2026-07-19,2,1,50.0,2,100.0", "2026-07-20,2,2,100.0,2,100.0"]
    assert body.startswith("\ufeffDate,")


def test_the_trends_drill_down_to_the_accounts_with_the_filter(client, nights, manager):
    client.force_login(manager)
    links = dict(client.get(PAGE, {**PERIOD, "industry": "retail"}).context["links"])
    assert links["Target accounts"] == "/accounts/?industry=retail&target=true"
    assert any(url == "/accounts/?industry=retail&state=ACTIVE" for url in links.values())


def test_anonymous_is_sent_to_login_and_every_role_may_read(client, personas):
    assert_page_access(client, personas, PAGE + "?industry=retail", tuple(Role.values))


def test_a_year_of_filtered_nights_reads_a_fixed_number_of_queries(client, manager, sales,
                                                                   django_assert_max_num_queries):
    start = dt.date(2025, 7, 21)
    days = [start + dt.timedelta(days=i) for i in range(365)]
    RecomputeRun.objects.bulk_create([RecomputeRun(as_of=d, status=RecomputeRun.Status.COMPLETED) for d in days])
    BreadthSnapshot.objects.bulk_create([BreadthSnapshot(as_of=d, state=State.ACTIVE, industry="retail",
                                                         accounts=2, compliant=1) for d in days])
    DepthSnapshot.objects.bulk_create([DepthSnapshot(as_of=d, state=State.ACTIVE, responsible_role=Role.SALES,
                                                     owner=sales, team="east", accounts=1) for d in days])
    for user, params in ((manager, {"industry": "retail"}), (sales, {})):
        client.force_login(user)
        with django_assert_max_num_queries(10):
            response = client.get(PAGE, {"from": "2025-07-21", "to": "2026-07-20", **params})
        assert len(response.context["tables"][0]["rows"]) == 365
