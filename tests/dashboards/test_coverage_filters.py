"""The coverage dashboard and its API with the shared filters (dashboards.filtering, dashboards.coverage): on a
hand-built night, account attributes narrow §9's figures (docs/rules.md §9) read from the night's breadth rows,
people (a team, an owner, a rep's own scope) narrow them to the night's depth rows per state and responsible role
and the breadth rows of those people (each account once);
every figure opens the accounts list on exactly the accounts it counts; tables download as CSV with a BOM; a bad
or out-of-scope value is refused naming its parameter; the unfiltered API call answers as it always did."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.choices import Role, State
from core.models import User
from dashboards.depth import depth_snapshot_write
from dashboards.selectors import coverage_figures
from engine.models import AccountEvaluation, Alert, CoverageRow
from tests.factories import AccountFactory, kept_night
from tests.web.access import assert_page_access

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_readers")]

D = dt.date(2026, 7, 20)
PAGE = reverse("dashboards:coverage")
API = "/api/v1/dashboards/coverage/"


def _account(state, *, industry="", regions=(), tier="", last_touch=None, coverage="", **owners):
    account = AccountFactory(state=state, industry=industry, regions=list(regions), icp_tier=tier, **owners)
    AccountEvaluation.objects.create(account=account, state=state, coverage=coverage,
                                     last_touch_on=None if last_touch is None else D - dt.timedelta(days=last_touch))
    return account


def _row(account, code, *, status="covered", role=Role.SALES, assignee=None, kind="human"):
    CoverageRow.objects.create(account=account, state=account.state, requirement=code, kind=kind, min_count=1,
                               window_days=30, counted=0, gap=1, status=status, responsible_role=role,
                               assignee=assignee, as_of=D)


@pytest.fixture
def night(sales, csm, inside_sales, marketer, west):
    """East: Sora (sales) two ACTIVE manufacturing accounts, one covered (tier A, Kanto and Kansai, touched 3 days
    before), one under-covered (tier B, Kanto, 60 days); Chika (csm) a LOYAL retail account under-covered (tier A,
    10 days); Ines (inside sales, grace) and Mark (marketing, no team, covered) a HIGH_POTENTIAL_LEAD (tier C,
    Kansai, 1 day). West: Wes a NEGOTIATION due soon (6 days). An ACTIVE account with no owner, under-covered; a
    TARGET_NO_LEAD manufacturing account (tier B, Kanto, 100 days); an OUT_OF_SCOPE one (2 days)."""
    a1 = _account(State.ACTIVE, industry="manufacturing", regions=["kanto", "kansai"], tier="A", last_touch=3,
                  coverage="compliant", owner_sales=sales)
    _row(a1, "human", assignee=sales)
    a2 = _account(State.ACTIVE, industry="manufacturing", regions=["kanto"], tier="B", last_touch=60,
                  coverage="under_covered", owner_sales=sales)
    _row(a2, "human", status="under_covered", assignee=sales)
    a3 = _account(State.LOYAL, industry="retail", tier="A", last_touch=10, coverage="under_covered", owner_csm=csm)
    _row(a3, "human", role=Role.CSM, assignee=csm)
    _row(a3, "executive", status="under_covered", role=Role.CSM, assignee=csm)
    a4 = _account(State.HIGH_POTENTIAL_LEAD, industry="retail", regions=["kansai"], tier="C", last_touch=1,
                  coverage="grace", owner_inside_sales=inside_sales, owner_marketing=marketer)
    _row(a4, "human", status="grace", role=Role.INSIDE_SALES, assignee=inside_sales)
    _row(a4, "digital", kind="digital", role=Role.MARKETING, assignee=marketer)
    a5 = _account(State.NEGOTIATION, industry="it", regions=["tohoku"], last_touch=6, coverage="compliant",
                  owner_sales=west)
    _row(a5, "human", status="due_soon", assignee=west)
    a6 = _account(State.ACTIVE, coverage="under_covered")
    _row(a6, "human", status="under_covered")
    _account(State.TARGET_NO_LEAD, industry="manufacturing", regions=["kanto"], tier="B", last_touch=100)
    _account(State.OUT_OF_SCOPE, industry="it", last_touch=2)
    for account, assignee, role in ((a2, sales, Role.SALES), (a3, csm, Role.CSM), (a5, west, Role.SALES)):
        Alert.objects.create(account=account, state=account.state, requirement="human", responsible_role=role,
                             assignee=assignee, status="open", gap=1, opened_on=D, changed_on=D)
    kept_night(D)
    depth_snapshot_write(as_of=D)


def _login(client, user):
    client.force_login(user)
    return client


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def _listed(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return len(response.context["accounts"])


def _state(rows, state):
    return next(r for r in rows if r["state"] == state)


def test_account_attributes_narrow_the_figures_per_state_and_breadth(client, night, manager):
    response = _login(client, manager).get(PAGE, {"industry": "Manufacturing"})
    assert response.status_code == 200 and not response.context["people_mode"]
    active = _state(response.context["rows"], State.ACTIVE)
    assert (active["accounts"], active["compliant"], active["under_covered"], active["grace"], active["rate"]) == (
        2, 1, 1, 0, 50)
    assert _state(response.context["rows"], State.TARGET_NO_LEAD)["accounts"] == 1
    assert _state(response.context["rows"], State.LOYAL)["accounts"] == 0
    assert response.context["breadth"] == {"target_accounts": 3, "touched_30d": 1, "touched_90d": 2}


@pytest.mark.parametrize(("params", "active", "targets"), [
    ({"region": "kanto"}, (2, 1, 1), (3, 1, 2)),
    ({"region": "kansai"}, (1, 1, 0), (2, 2, 2)),
    ({"icp_tier": "A"}, (1, 1, 0), (2, 2, 2)),
    ({"state": State.ACTIVE}, (3, 1, 2), (3, 1, 2)),
    ({"state": State.ACTIVE, "icp_tier": "B"}, (1, 0, 1), (1, 0, 1)),
])
def test_each_account_filter_on_hand_computed_figures(client, night, manager, params, active, targets):
    response = _login(client, manager).get(PAGE, params)
    row = _state(response.context["rows"], State.ACTIVE)
    assert (row["accounts"], row["compliant"], row["under_covered"]) == active
    breadth = response.context["breadth"]
    assert (breadth["target_accounts"], breadth["touched_30d"], breadth["touched_90d"]) == targets


def test_every_figure_opens_exactly_the_accounts_it_counts(client, night, manager):
    client = _login(client, manager)
    for params in ({}, {"industry": "manufacturing"}, {"region": "kansai"}, {"icp_tier": "A"},
                   {"team": "east"}, {"owner": str(User.objects.get(username="wes").pk)}):
        context = client.get(PAGE, params).context
        for row in context["rows"]:
            for figure in ("accounts", "compliant", "under_covered", "grace"):
                assert _listed(client, row["links"][figure]) == row[figure], (params, row["state"], figure)
        breadth, links = context["breadth"], context["breadth_links"]
        assert _listed(client, links["targets"]) == breadth["target_accounts"], params
        assert _listed(client, links["touched_30d"]) == breadth["touched_30d"], params
        assert _listed(client, links["touched_90d"]) == breadth["touched_90d"], params


def test_a_rep_reads_their_own_and_their_teams_figures_only(client, night, sales, csm):
    response = _login(client, sales).get(PAGE)
    assert response.status_code == 200 and response.context["people_mode"]
    rows = {(r["state"], r["responsible_role"]): (r["accounts"], r["compliant"], r["under_covered"], r["grace"])
            for r in response.context["rows"]}
    assert rows == {(State.ACTIVE, Role.SALES): (2, 1, 1, 0), (State.LOYAL, Role.CSM): (1, 0, 1, 0),
                    (State.HIGH_POTENTIAL_LEAD, Role.INSIDE_SALES): (1, 0, 0, 1)}
    assert [(p["assignee__username"], p["n"]) for p in response.context["by_person"]] == [("chika", 1), ("sora", 1)]
    assert sorted((r["responsible_role"], r["n"]) for r in response.context["by_role"]) == [("csm", 1), ("sales", 1)]
    for row in response.context["rows"]:
        assert _listed(client, row["links"]["accounts"]) == row["accounts"]
        assert _listed(client, row["links"]["under_covered"]) == row["under_covered"]
    # Breadth: team east's four target accounts, each once (Ines's and Mark's account on Ines's row for the team),
    # touched 3, 60, 10 and 1 days before the night.
    assert response.context["breadth"] == {"target_accounts": 4, "touched_30d": 3, "touched_90d": 4}
    assert 'id="coverage-breadth"' in response.content.decode()
    mine = _login(client, sales).get(PAGE, {"owner": str(csm.pk)}).context
    assert [(r["state"], r["accounts"]) for r in mine["rows"]] == [(State.LOYAL, 1)]
    assert mine["breadth"] == {"target_accounts": 1, "touched_30d": 1, "touched_90d": 1}


def test_a_rep_without_a_team_reads_only_their_own(client, night, marketer):
    context = _login(client, marketer).get(PAGE).context
    assert [(r["state"], r["responsible_role"], r["compliant"]) for r in context["rows"]] == [
        (State.HIGH_POTENTIAL_LEAD, Role.MARKETING, 1)]
    assert context["breadth"] == {"target_accounts": 1, "touched_30d": 1, "touched_90d": 1}


@pytest.mark.parametrize(("params", "targets"), [
    ({}, (7, 4, 5)),  # everyone: the eight accounts less OUT_OF_SCOPE, each once
    ({"team": "east"}, (4, 3, 4)),
    ({"team": "west"}, (1, 1, 1)),
    ({"owner": "mark"}, (1, 1, 1)),  # an account Mark shares with Ines (east): his too
    ({"team": "east", "industry": "retail"}, (2, 2, 2)),
])
def test_a_managers_team_and_owner_narrow_breadth(night, manager, params, targets):
    if params.get("owner"):
        params = {"owner": str(User.objects.get(username=params["owner"]).pk)}
    breadth = _api(manager).get(API, params).json()["breadth"]
    assert (breadth["target_accounts"], breadth["touched_30d"], breadth["touched_90d"]) == targets


def test_a_team_or_owner_outside_a_reps_scope_is_refused_naming_it(client, night, sales, west):
    client = _login(client, sales)
    refused = client.get(PAGE, {"team": "west"})
    assert refused.status_code == 400 and "team: " in refused.content.decode()
    assert client.get(PAGE, {"owner": str(west.pk), "format": "csv", "table": "states"}).status_code == 400
    answer = _api(sales).get(API, {"owner": str(west.pk)})
    assert answer.status_code == 400 and list(answer.json()) == ["owner"]


@pytest.mark.parametrize(("params", "field"), [
    ({"state": "HAPPY"}, "state"), ({"icp_tier": "Z"}, "icp_tier"), ({"owner": "me"}, "owner"),
    ({"as_of": "20/07/2026"}, "as_of"), ({"region": "x" * 101}, "region"), ({"team": "a\x00"}, "team"),
])
def test_a_bad_value_is_refused_naming_its_field_on_the_page_the_csv_and_the_api(client, night, manager, params,
                                                                                  field):
    page = _login(client, manager).get(PAGE, params)
    assert page.status_code == 400 and f"{field}: " in page.content.decode()
    export = client.get(PAGE, {**params, "format": "csv", "table": "states"})
    assert export.status_code == 400 and export.content.decode().startswith(f"{field}: ")
    if field != "as_of":  # the unfiltered call keeps its own as_of message
        answer = _api(manager).get(API, params)
        assert answer.status_code == 400 and field in answer.json()


def test_the_tables_download_as_csv_with_a_bom_and_the_filter(client, night, manager, sales):
    states = _login(client, manager).get(PAGE, {"industry": "manufacturing", "format": "csv", "table": "states"})
    lines = states.content.decode("utf-8").splitlines()
    assert lines[0] == "\ufeffState,Accounts,Compliant,Under-covered,Grace,Compliance (%)"
    assert "Active customer,2,1,1,0,50" in lines or any(line.endswith(",2,1,1,0,50") for line in lines)
    assert states["Content-Disposition"] == 'attachment; filename="coverage-states-2026-07-20.csv"'
    rep = _login(client, sales).get(PAGE, {"format": "csv", "table": "states"}).content.decode("utf-8")
    assert rep.startswith("\ufeffState,Responsible role,Accounts,Compliant,Under-covered,Grace,Compliance (%)\r\n")
    assert len(rep.strip().splitlines()) == 1 + 3
    people = client.get(PAGE, {"format": "csv", "table": "people"}).content.decode("utf-8")
    assert people.startswith("\ufeffPerson,Team,Open alerts\r\n") and "Wes West" not in people


def test_the_unfiltered_api_answers_the_organisations_figures_as_before(night, sales, manager):
    for user in (sales, manager):
        assert _api(user).get(API).json() == coverage_figures()
    kept = _api(manager).get(API, {"as_of": D.isoformat()})
    assert kept.status_code == 404  # this hand-built night kept no DailySnapshot


def test_the_filtered_api_answers_the_filters_figures(night, manager, sales):
    body = _api(manager).get(API, {"icp_tier": "A"}).json()
    assert (body["as_of"], body["scope"], body["filters"]) == ("2026-07-20", "all", {"icp_tier": "A"})
    assert body["by_state"][State.ACTIVE] == {"accounts": 1, "compliant": 1, "under_covered": 0, "grace": 0}
    assert body["breadth"] == {"target_accounts": 2, "touched_30d": 2, "touched_90d": 2}
    rep = _api(sales).get(API, {"state": State.ACTIVE}).json()
    assert rep["scope"] == "team" and rep["by_state_and_role"] == [
        {"state": "ACTIVE", "responsible_role": "sales", "accounts": 2, "compliant": 1, "under_covered": 1,
         "grace": 0}]
    assert rep["breadth"] == {"target_accounts": 2, "touched_30d": 1, "touched_90d": 2}
    assert _api(manager).get(API, {"icp_tier": "A", "as_of": "2026-07-19"}).status_code == 404


def test_a_night_without_figures_says_so(client, night, manager):
    response = _login(client, manager).get(PAGE, {"industry": "it", "as_of": "2026-07-19"})
    assert response.status_code == 200 and response.context["missing"]
    assert "No completed night on 2026-07-19" in response.content.decode()


def test_anonymous_is_sent_to_login_and_every_role_may_read(client, personas):
    assert_page_access(client, personas, PAGE + "?state=ACTIVE", tuple(Role.values))
    assert APIClient().get(API, {"state": "ACTIVE"}).status_code in (401, 403)


def test_the_filtered_page_reads_a_fixed_number_of_queries(client, night, manager, sales,
                                                          django_assert_max_num_queries):
    for user, params in ((manager, {"industry": "retail", "region": "kansai"}), (sales, {"state": State.ACTIVE})):
        client = _login(client, user)
        client.get(PAGE, params)
        with django_assert_max_num_queries(16):
            assert client.get(PAGE, params).status_code == 200
