"""Coverage depth and breadth kept per night (dashboards.depth; docs/rules.md §4, §9): a hand-built night of two
teams — requirements met and not, in grace, human and digital touches — gives exact figures per responsible role,
owner, team and state, and breadth per state, industry, region and tier for everyone, a team, an owner and a rep
(each account once, an account of two owners of one team once in that team); a rerun replaces the night's rows;
filters, scopes per role, CSV, permissions, empty states and a fixed number of queries and of statements, on the
page and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.choices import Role, State
from dashboards.depth import depth_snapshot_write
from dashboards.models import BreadthSnapshot, DepthSnapshot
from engine.models import AccountEvaluation, CoverageRow
from engine.services import recompute_all
from tests.dashboards.access import assert_api_serves_every_role
from tests.engine.nights import seed_configuration
from tests.factories import AccountFactory, OpportunityFactory, TouchFactory, UserFactory, kept_night
from tests.web.access import assert_page_access

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_readers")]

D = dt.date(2026, 7, 20)
API = "/api/v1/dashboards/depth/"
PAGE = reverse("dashboards:depth")


def _account(state, *, industry="", regions=(), tier="", last_touch=None, coverage="", after_night=False, **owners):
    account = AccountFactory(state=state, industry=industry, regions=list(regions), icp_tier=tier, **owners)
    AccountEvaluation.objects.create(account=account, state=state, coverage=coverage, after_night=after_night,
                                     last_touch_on=None if last_touch is None else D - dt.timedelta(days=last_touch))
    return account


def _row(account, code, *, kind="human", n=1, counted=0, status="covered", role=Role.SALES, assignee=None):
    CoverageRow.objects.create(account=account, state=account.state, requirement=code, kind=kind, min_count=n,
                               window_days=30, counted=counted, gap=max(0, n - counted), status=status,
                               responsible_role=role, assignee=assignee, as_of=D)


@pytest.fixture
def night(sales, csm, inside_sales, marketer, west):
    """East: Sora (sales) two ACTIVE accounts, one covered, one under-covered; Chika (csm) a LOYAL account with its
    executive requirement under-covered; Ines (inside sales) a HIGH_POTENTIAL_LEAD in grace whose digital
    requirement (Mark, marketing, no team) is covered. West: Wes a NEGOTIATION due soon. An ACTIVE account with no
    sales owner, a TARGET_NO_LEAD, an OUT_OF_SCOPE, and a TARGET_NO_LEAD evaluated after the night."""
    a1 = _account(State.ACTIVE, industry="manufacturing", regions=["kanto", "kansai"], tier="A", last_touch=3,
                  coverage="compliant", owner_sales=sales)
    _row(a1, "human", counted=2, assignee=sales)
    a2 = _account(State.ACTIVE, industry="manufacturing", regions=["kanto"], tier="B", last_touch=60,
                  coverage="under_covered", owner_sales=sales)
    _row(a2, "human", status="under_covered", assignee=sales)
    a3 = _account(State.LOYAL, industry="retail", tier="A", last_touch=10, coverage="under_covered", owner_csm=csm)
    _row(a3, "human", counted=1, role=Role.CSM, assignee=csm)
    _row(a3, "executive", status="under_covered", role=Role.CSM, assignee=csm)
    a4 = _account(State.HIGH_POTENTIAL_LEAD, industry="retail", regions=["kansai"], tier="C", last_touch=1,
                  coverage="grace", owner_inside_sales=inside_sales, owner_marketing=marketer)
    _row(a4, "human", status="grace", role=Role.INSIDE_SALES, assignee=inside_sales)
    _row(a4, "digital", kind="digital", n=2, counted=3, role=Role.MARKETING, assignee=marketer)
    a5 = _account(State.NEGOTIATION, industry="it", regions=["tohoku"], last_touch=6, coverage="compliant",
                  owner_sales=west)
    _row(a5, "human", counted=1, status="due_soon", assignee=west)
    a6 = _account(State.ACTIVE, coverage="under_covered")
    _row(a6, "human", status="under_covered")
    _account(State.TARGET_NO_LEAD, industry="manufacturing", regions=["kanto"], tier="B", last_touch=100)
    _account(State.OUT_OF_SCOPE, industry="it", last_touch=2)
    # A touch logged the day after the night: its latest touch is after D; the touch 40 days before D counts.
    a9 = _account(State.TARGET_NO_LEAD, industry="services", last_touch=-1, after_night=True)
    TouchFactory(account=a9, occurred_at=timezone.now(), occurred_on=D - dt.timedelta(days=40))
    TouchFactory(account=a9, occurred_at=timezone.now(), occurred_on=D + dt.timedelta(days=1))
    kept_night(D)
    depth_snapshot_write(as_of=D)


def _by(rows, *keys):
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in rows}


FIGURES = ("accounts", "compliant", "under_covered", "grace", "touches_done", "touches_required", "human_touches",
           "digital_touches")


def _figures(row):
    return tuple(row[k] for k in FIGURES)


def test_night_keeps_one_depth_row_per_state_role_owner_and_team(night, sales, csm, inside_sales, marketer, west):
    rows = {(r.state, r.responsible_role, r.owner_id, r.team): _figures(r.__dict__)
            for r in DepthSnapshot.objects.filter(as_of=D)}
    assert rows == {
        (State.ACTIVE, Role.SALES, sales.id, "east"): (2, 1, 1, 0, 1, 2, 2, 0),
        (State.LOYAL, Role.CSM, csm.id, "east"): (1, 0, 1, 0, 1, 2, 1, 0),
        (State.HIGH_POTENTIAL_LEAD, Role.INSIDE_SALES, inside_sales.id, "east"): (1, 0, 0, 1, 0, 1, 0, 0),
        (State.HIGH_POTENTIAL_LEAD, Role.MARKETING, marketer.id, ""): (1, 1, 0, 0, 2, 2, 0, 3),
        (State.NEGOTIATION, Role.SALES, west.id, "west"): (1, 1, 0, 0, 1, 1, 1, 0),
        (State.ACTIVE, Role.SALES, None, ""): (1, 0, 1, 0, 0, 1, 0, 0),
    }


def test_manager_reads_every_role_team_and_owner(night, manager, sales):
    body = APIClient()
    body.force_authenticate(manager)
    data = body.get(API).json()
    assert data["as_of"] == "2026-07-20" and data["scope"] == "all"
    by_role = _by(data["by_role"], "responsible_role")
    assert _figures(by_role["sales"]) == (4, 2, 2, 0, 2, 4, 3, 0)
    assert by_role["sales"]["compliance_rate"] == 0.5 and by_role["sales"]["touches_done_rate"] == 0.5
    assert _figures(by_role["marketing"]) == (1, 1, 0, 0, 2, 2, 0, 3) and by_role["marketing"]["human_share"] == 0
    assert _figures(by_role["inside_sales"]) == (1, 0, 0, 1, 0, 1, 0, 0)
    by_team = _by(data["by_team"], "team")
    assert _figures(by_team["east"]) == (4, 1, 2, 1, 2, 5, 3, 0)
    assert _figures(by_team["west"]) == (1, 1, 0, 0, 1, 1, 1, 0)
    assert _figures(by_team[""]) == (2, 1, 1, 0, 2, 3, 0, 3)
    by_owner = _by(data["by_owner"], "owner_id")
    assert by_owner[sales.id]["owner_name"] == "Sora Sales" and by_owner[None]["owner_name"] == ""
    assert [(r["state"], r["responsible_role"]) for r in data["by_state"]] == [
        (State.LOYAL, "csm"), (State.ACTIVE, "sales"), (State.NEGOTIATION, "sales"),
        (State.HIGH_POTENTIAL_LEAD, "inside_sales"), (State.HIGH_POTENTIAL_LEAD, "marketing")]
    assert _figures(_by(data["by_state"], "state", "responsible_role")[(State.ACTIVE, "sales")]) == \
        (3, 1, 2, 0, 1, 3, 2, 0)


def test_breadth_counts_target_accounts_by_state_industry_region_and_tier(night, manager):
    api = APIClient()
    api.force_authenticate(manager)
    data = api.get(API).json()
    total = data["breadth_total"]
    # Eight target accounts (OUT_OF_SCOPE left out); touched within 30 days: 3, 10, 1, 6 days ago; within 90 days
    # also the one 60 days ago and the one whose 40-days-old touch is found despite its latest touch after D.
    assert (total["accounts"], total["compliant"], total["under_covered"], total["grace"]) == (8, 2, 3, 1)
    assert (total["touched_30d"], total["touched_90d"]) == (4, 6)
    by_state = _by(data["breadth_by_state"], "state")
    assert (by_state[State.ACTIVE]["accounts"], by_state[State.ACTIVE]["touched_30d"],
            by_state[State.ACTIVE]["touched_90d"]) == (3, 1, 2)
    assert by_state[State.OUT_OF_SCOPE]["accounts"] == 1  # listed by state, never a target
    assert {r: v["accounts"] for r, v in _by(data["breadth_by_region"], "region").items()} == {
        "kanto": 3, "kansai": 2, "tohoku": 1, "": 2 + 1}
    industries = _by(data["breadth_by_industry"], "industry")
    assert {k: (v["accounts"], v["touched_30d"], v["touched_90d"]) for k, v in industries.items()} == {
        "manufacturing": (3, 1, 2), "retail": (2, 2, 2), "it": (1, 1, 1), "": (1, 0, 0), "services": (1, 0, 1)}
    assert {k: v["accounts"] for k, v in _by(data["breadth_by_tier"], "icp_tier").items()} == {
        "A": 2, "B": 2, "C": 1, "": 3}


@pytest.mark.parametrize(("query", "accounts", "t30"), [
    ("region=kansai", 2, 2), ("industry=Manufacturing", 3, 1), ("tier=B", 2, 0), ("state=ACTIVE", 3, 1),
    ("region=kanto&tier=A", 1, 1),
])
def test_breadth_filters_count_each_account_once(night, manager, query, accounts, t30):
    api = APIClient()
    api.force_authenticate(manager)
    total = api.get(f"{API}?{query}").json()["breadth_total"]
    assert (total["accounts"], total["touched_30d"]) == (accounts, t30)


def _breadth(user, query=""):
    api = APIClient()
    api.force_authenticate(user)
    response = api.get(f"{API}?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def _total(data):
    t = data["breadth_total"]
    return t["accounts"], t["compliant"], t["under_covered"], t["grace"], t["touched_30d"], t["touched_90d"]


@pytest.mark.parametrize(("who", "query", "total"), [
    # East: Sora's ACTIVE accounts (touched 3 and 60 days before), Chika's LOYAL (10 days), Ines's and Mark's
    # HIGH_POTENTIAL_LEAD (1 day, in grace).
    ("manager", "team=east", (4, 1, 2, 1, 3, 4)),
    ("manager", "team=west", (1, 1, 0, 0, 1, 1)),  # Wes's NEGOTIATION, 6 days
    ("manager", "owner=sales", (2, 1, 1, 0, 1, 2)),
    ("manager", "owner=marketer", (1, 0, 0, 1, 1, 1)),  # the account he shares with Ines (east) is his too
    ("manager", "team=east&region=kansai", (2, 1, 0, 1, 2, 2)),
    ("manager", "owner=sales&industry=manufacturing&tier=B", (1, 0, 1, 0, 0, 1)),
    ("sales", "", (4, 1, 2, 1, 3, 4)),  # a rep: their team's accounts
    ("sales", "owner=csm", (1, 0, 1, 0, 1, 1)),  # a teammate's
    ("west", "", (1, 1, 0, 0, 1, 1)),
    ("marketer", "", (1, 0, 0, 1, 1, 1)),  # a rep without a team: their own accounts
])
def test_breadth_follows_the_team_owner_and_the_readers_scope(night, request, who, query, total):
    for name in ("sales", "csm", "marketer"):
        query = query.replace(f"owner={name}", f"owner={request.getfixturevalue(name).id}")
    data = _breadth(request.getfixturevalue(who), query)
    assert _total(data) == total
    # The tables split by state, industry and tier sum to the total; by region an account counts in each region.
    for table in ("breadth_by_industry", "breadth_by_tier"):
        assert sum(r["accounts"] for r in data[table]) == total[0], table


def test_a_teams_breadth_tables_count_its_accounts_only(night, manager):
    data = _breadth(manager, "team=east")
    assert {r["state"]: r["accounts"] for r in data["breadth_by_state"]} == {
        State.ACTIVE: 2, State.LOYAL: 1, State.HIGH_POTENTIAL_LEAD: 1}
    assert {r["region"]: r["accounts"] for r in data["breadth_by_region"]} == {"kanto": 2, "kansai": 2, "": 1}
    assert {r["industry"]: r["accounts"] for r in data["breadth_by_industry"]} == {"manufacturing": 2, "retail": 2}
    assert {r["icp_tier"]: r["accounts"] for r in data["breadth_by_tier"]} == {"A": 2, "B": 1, "C": 1}


def test_an_account_of_two_owners_of_one_team_counts_once_in_that_team(night, manager, sales, csm, west):
    """Sora and Chika (east) and Wes (west) own one more ACTIVE retail account, touched 5 days before: it is kept on
    each owner's rows, first for everyone and for east on Sora's, first for west on Wes's."""
    _account(State.ACTIVE, industry="retail", regions=["kanto"], tier="A", last_touch=5,
                      coverage="compliant", owner_sales=sales, owner_csm=csm, owner_marketing=west)
    depth_snapshot_write(as_of=D)
    rows = {(r.owner_id, r.team, r.first_owner, r.first_in_team): r.accounts
            for r in BreadthSnapshot.objects.filter(as_of=D, state=State.ACTIVE, industry="retail")}
    assert rows == {(csm.id, "east", True, True): 1, (sales.id, "east", False, False): 1,
                    (west.id, "west", False, True): 1}  # the owner columns' order: csm, sales, …, marketing
    assert _total(_breadth(manager))[0] == 9
    assert _total(_breadth(manager, "team=east")) == (5, 2, 2, 1, 4, 5)
    assert _total(_breadth(manager, "team=west"))[0] == 2
    assert _total(_breadth(manager, f"owner={csm.id}"))[0] == 2
    assert _total(_breadth(sales))[0] == 5  # a rep of east: once, not for each of its two east owners


@pytest.mark.parametrize(("query", "field"), [("team=west", "team"), ("owner=west", "owner")])
def test_a_team_or_owner_outside_a_reps_scope_is_refused_naming_it(night, sales, west, query, field):
    api = APIClient()
    api.force_authenticate(sales)
    response = api.get(f"{API}?{query.replace('owner=west', f'owner={west.id}')}")
    assert response.status_code == 400 and list(response.json()) == [field]


def test_depth_filters_by_team_owner_and_state(night, manager, sales):
    api = APIClient()
    api.force_authenticate(manager)
    assert {r["responsible_role"] for r in api.get(f"{API}?team=east").json()["by_role"]} == {
        "sales", "csm", "inside_sales"}
    mine = api.get(f"{API}?owner={sales.id}").json()
    assert [(r["owner_id"], r["accounts"]) for r in mine["by_owner"]] == [(sales.id, 2)]
    assert [r["team"] for r in api.get(f"{API}?state=NEGOTIATION").json()["by_team"]] == ["west"]


@pytest.mark.parametrize(("who", "owners"), [
    ("sales", {"sora", "chika", "ines"}),  # own and team east
    ("west", {"wes"}),
    ("marketer", {"mark"}),  # no team: own only
    ("manager", {"sora", "chika", "ines", "mark", "wes", ""}),
    ("executive", {"sora", "chika", "ines", "mark", "wes", ""}),
    ("admin_user", {"sora", "chika", "ines", "mark", "wes", ""}),
])
def test_each_role_sees_its_scope(night, request, who, owners):
    api = APIClient()
    api.force_authenticate(request.getfixturevalue(who))
    assert {r["owner_username"] for r in api.get(API).json()["by_owner"]} == owners


def test_rerun_of_the_night_replaces_its_rows(night, sales):
    before = set(DepthSnapshot.objects.values_list("state", "responsible_role", "owner_id", "accounts"))
    assert depth_snapshot_write(as_of=D) == (6, BreadthSnapshot.objects.filter(as_of=D).count())
    assert set(DepthSnapshot.objects.values_list("state", "responsible_role", "owner_id", "accounts")) == before
    assert DepthSnapshot.objects.count() == 6
    CoverageRow.objects.filter(account__owner_sales=sales, status="under_covered").update(status="covered", counted=1)
    depth_snapshot_write(as_of=D)
    row = DepthSnapshot.objects.get(as_of=D, owner=sales)
    assert (row.compliant, row.under_covered) == (2, 0)


def test_the_night_keeps_breadth_in_a_fixed_number_of_statements(night, django_assert_num_queries):
    with CaptureQueriesContext(connection) as before:
        depth_snapshot_write(as_of=D)
    for i in range(12):
        owners = {"owner_sales": UserFactory(team=f"t{i % 3}"), "owner_csm": UserFactory(team=f"t{i % 2}")}
        _account(State.ACTIVE, industry=f"i{i % 4}", regions=["kanto", f"r{i}"], last_touch=i, coverage="compliant",
                 **owners)
    with django_assert_num_queries(len(before.captured_queries)):
        depth_snapshot_write(as_of=D)
    assert BreadthSnapshot.objects.filter(as_of=D, first_owner=True, first_region=True).aggregate(
        n=Sum("accounts"))["n"] == 9 + 12


def test_a_completed_run_keeps_the_nights_depth(sales):
    seed_configuration()
    account = AccountFactory(owner_sales=sales)
    OpportunityFactory(account=account, opened_on=D - dt.timedelta(days=30))
    recompute_all(as_of=D)
    recompute_all(as_of=D)  # a second run for the same date: the same rows, not twice
    row = DepthSnapshot.objects.get(as_of=D)
    assert (row.state, row.responsible_role, row.owner_id, row.team) == (State.NEGOTIATION, Role.SALES, sales.id, "east")
    assert (row.accounts, row.under_covered, row.touches_required, row.touches_done) == (1, 1, 1, 0)
    breadth = BreadthSnapshot.objects.get(as_of=D)
    assert (breadth.accounts, breadth.under_covered, breadth.industry) == (1, 1, "manufacturing")
    assert (breadth.owner_id, breadth.team, breadth.first_owner, breadth.first_in_team) == (sales.id, "east", True,
                                                                                           True)


def test_an_older_night_reads_its_own_rows_and_an_unknown_night_is_refused(night, manager):
    DepthSnapshot.objects.create(as_of=D - dt.timedelta(days=1), state=State.ACTIVE, responsible_role=Role.SALES,
                                 accounts=7, under_covered=7)
    kept_night(D - dt.timedelta(days=1))
    api = APIClient()
    api.force_authenticate(manager)
    assert api.get(f"{API}?as_of=2026-07-19").json()["by_role"][0]["accounts"] == 7
    response = api.get(f"{API}?as_of=2026-07-01")
    assert response.status_code == 400 and "as_of" in response.json()
    for bad, field in (("as_of=yesterday", "as_of"), ("owner=sora", "owner"), ("state=HOT", "state"),
                       ("tier=Z", "tier")):
        response = api.get(f"{API}?{bad}")
        assert response.status_code == 400 and field in response.json(), bad


def test_before_any_night_everything_is_empty(client, manager):
    api = APIClient()
    api.force_authenticate(manager)
    data = api.get(API).json()
    assert data["as_of"] is None and data["by_role"] == [] and data["breadth_by_state"] == []
    client.force_login(manager)
    response = client.get(PAGE)
    assert response.status_code == 200 and b'id="depth-no-night"' in response.content


def test_page_shows_the_tables_with_links_to_the_accounts_list(night, client, manager, sales):
    client.force_login(manager)
    response = client.get(f"{PAGE}?state=ACTIVE")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Sora Sales" in html and "By responsible role" in html and "Breadth by region" in html
    assert f'href="/accounts/?state=ACTIVE&amp;owner={sales.id}&amp;coverage=under_covered"' in html
    assert 'href="/accounts/?state=ACTIVE&amp;region=kanto&amp;target=true"' in html
    by_role = html[html.index('id="depth-by_role"'):html.index('id="depth-by_owner"')]
    assert 'href="/accounts/?state=ACTIVE&amp;responsible_role=sales"' in by_role  # the shared filters: linked
    assert 'href="?state=ACTIVE&amp;as_of=2026-07-20&amp;format=csv&amp;table=by_owner"' in html
    assert "<td>Sora Sales</td>" in html and "<td>Wes West</td>" not in html  # NEGOTIATION filtered out
    html = client.get(f"{PAGE}?owner={sales.id}&team=east").content.decode()
    assert f'<option value="{sales.id}" selected>Sora Sales</option>' in html
    assert '<option value="east" selected>east</option>' in html


def test_page_says_when_no_account_matches(night, client, manager):
    client.force_login(manager)
    html = client.get(f"{PAGE}?team=nobody&industry=none").content.decode()
    assert 'id="depth-empty"' in html and 'id="breadth-empty"' in html


def test_page_refuses_bad_filters_naming_the_field(night, client, manager):
    client.force_login(manager)
    response = client.get(f"{PAGE}?tier=Q")
    assert response.status_code == 400 and "tier:" in response.content.decode()
    response = client.get(f"{PAGE}?format=csv&table=nope")
    assert response.status_code == 400 and "table:" in response.content.decode()


def test_csv_per_table_starts_with_a_bom_and_follows_the_scope(night, client, sales):
    client.force_login(sales)
    response = client.get(f"{PAGE}?format=csv&table=by_owner")
    body = response.content.decode("utf-8")
    assert response.status_code == 200 and body.startswith("\ufeff")
    lines = body[1:].splitlines()
    assert lines[0].startswith("owner_username,owner_name,team,accounts,compliant,under_covered,grace")
    assert {line.split(",")[0] for line in lines[1:]} == {"sora", "chika", "ines"}
    assert any(line.startswith("sora,Sora Sales,east,2,1,1,0,0.5,1,2,0.5,2,0,1.0") for line in lines)
    response = client.get(f"{PAGE}?format=csv&table=breadth_by_region")
    assert "kanto,2," in response.content.decode("utf-8")  # team east's accounts only


def test_every_role_may_open_the_page_and_anonymous_is_sent_to_login(night, client, personas):
    assert_page_access(client, personas, PAGE, tuple(Role.values))


def test_api_refuses_anonymous_and_serves_every_role(night, personas):
    assert_api_serves_every_role(personas, API)


def test_page_and_api_read_a_fixed_number_of_queries(night, client, manager, sales, csm,
                                                    django_assert_max_num_queries):
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        assert client.get(PAGE).status_code == 200
    for i in range(5):
        owner = UserFactory(team="north")
        DepthSnapshot.objects.create(as_of=D, state=State.ACTIVE, responsible_role=Role.SALES, owner=owner,
                                     team="north", accounts=i + 1)
    with django_assert_max_num_queries(12):
        assert client.get(PAGE).status_code == 200
    api = APIClient()
    api.force_authenticate(manager)
    with django_assert_max_num_queries(8):
        assert api.get(API).status_code == 200
    client.force_login(sales)
    with django_assert_max_num_queries(12):  # a rep reading a teammate's figures: one more query for the check
        assert client.get(f"{PAGE}?owner={csm.id}").status_code == 200
