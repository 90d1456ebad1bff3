"""The funnel and its movement, kept per night (dashboards.funnel): a hand-built night of six accounts — two owners of
one team on one account, the same person in two owner columns, several regions, a rep without a team — gives exact
funnel counts for everyone, a team, an owner and each account attribute, each account once; the moves of a period
count transitions dated in it, both ends included, and not first classifications; a transition made during the day
after a night is kept by the next night; each count links to exactly the accounts it counts; scopes, bad input,
CSV, empty states, permissions and a fixed number of queries, on the page and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from core.choices import Role, State
from core.models import User
from dashboards.funnel import FUNNEL_ORDER, funnel_snapshot_write
from dashboards.models import FunnelSnapshot, MovementSnapshot
from engine.models import AccountEvaluation
from engine.services import recompute_all
from segments.models import StateTransition
from tests.dashboards.access import assert_api_serves_every_role
from tests.engine.nights import seed_configuration
from tests.factories import AccountFactory, OpportunityFactory, UserFactory, kept_night
from tests.web.access import assert_page_access

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_readers")]

D = dt.date(2026, 7, 20)
API = "/api/v1/dashboards/funnel/"
PAGE = reverse("dashboards:funnel")


def _account(name, state, *, industry="", regions=(), tier="", **owners):
    account = AccountFactory(name=name, state=state, industry=industry, regions=list(regions), icp_tier=tier, **owners)
    AccountEvaluation.objects.create(account=account, state=state)
    return account


def _move(account, day, from_state, to_state):
    StateTransition.objects.create(account=account, as_of=day, from_state=from_state, to_state=to_state, rule="test")


def _night(day):
    kept_night(day)
    return funnel_snapshot_write(as_of=day)


@pytest.fixture
def night(sales, csm, inside_sales, marketer, west):
    """a1 ACTIVE owned by Sora and Chika (both east), two regions; a2 NEGOTIATION by Wes (west) and Mark (no team);
    a3 and a4 LEADs of Mark, a4 also of Ines (east); a5 OUT_OF_SCOPE without owner; a6 ONBOARDING with Sora in two
    owner columns. Moves in the 30 days to D: a2 LEAD → NEGOTIATION, a1 NEGOTIATION → ACTIVE on D itself, a4
    TARGET_NO_LEAD → LEAD on the period's first day, a6 NEGOTIATION → ONBOARDING; outside it a3's move the day
    before and an older one of a2; a6's first classification is no move."""
    a1 = _account("a1", State.ACTIVE, industry="manufacturing", regions=["kanto", "kansai"], tier="A",
                  owner_sales=sales, owner_csm=csm)
    a2 = _account("a2", State.NEGOTIATION, industry="manufacturing", regions=["kanto"], tier="B", owner_sales=west,
                  owner_marketing=marketer)
    a3 = _account("a3", State.LEAD, industry="retail", tier="C", owner_marketing=marketer)
    a4 = _account("a4", State.LEAD, industry="retail", regions=["kansai"], owner_inside_sales=inside_sales,
                  owner_marketing=marketer)
    _account("a5", State.OUT_OF_SCOPE, industry="it")
    a6 = _account("a6", State.ONBOARDING, industry="it", regions=["tohoku"], tier="A", owner_sales=sales,
                  owner_inside_sales=sales)
    _move(a2, dt.date(2026, 5, 1), State.HOT_LEAD, State.LEAD)
    _move(a3, dt.date(2026, 6, 20), State.TARGET_NO_LEAD, State.LEAD)
    _move(a4, dt.date(2026, 6, 21), State.TARGET_NO_LEAD, State.LEAD)
    _move(a6, dt.date(2026, 7, 1), "", State.ONBOARDING)
    _move(a2, dt.date(2026, 7, 10), State.LEAD, State.NEGOTIATION)
    _move(a6, dt.date(2026, 7, 15), State.NEGOTIATION, State.ONBOARDING)
    _move(a1, D, State.NEGOTIATION, State.ACTIVE)
    _night(D)
    return {"a1": a1, "a2": a2, "a3": a3, "a4": a4, "a6": a6}


def _get(user, query=""):
    api = APIClient()
    api.force_authenticate(user)
    response = api.get(f"{API}?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def _funnel(data):
    return {row["state"]: row["accounts"] for row in data["funnel"] if row["accounts"]}


def _moves(data):
    return {(row["from_state"], row["to_state"]): row["moves"] for row in data["movement"]}


def test_manager_reads_every_state_in_lifecycle_order_each_account_once(night, manager):
    data = _get(manager)
    assert data["as_of"] == "2026-07-20" and data["scope"] == "all"
    assert [row["state"] for row in data["funnel"]] == list(FUNNEL_ORDER)
    assert FUNNEL_ORDER[0] == State.TARGET_NO_LEAD and FUNNEL_ORDER[-2:] == (State.LOYAL, State.CHURNED)
    assert _funnel(data) == {State.ACTIVE: 1, State.NEGOTIATION: 1, State.LEAD: 2, State.ONBOARDING: 1}
    assert data["out_of_scope"] == 1


def test_moves_of_the_default_period_are_the_30_days_to_the_night_both_ends_included(night, manager):
    data = _get(manager)
    assert data["period"] == {"from": "2026-06-21", "to": "2026-07-20"}
    assert _moves(data) == {(State.LEAD, State.NEGOTIATION): 1, (State.NEGOTIATION, State.ACTIVE): 1,
                            (State.TARGET_NO_LEAD, State.LEAD): 1, (State.NEGOTIATION, State.ONBOARDING): 1}
    assert data["total_moves"] == 4
    by_state = {row["state"]: (row["entered"], row["left"]) for row in data["funnel"]}
    assert by_state[State.NEGOTIATION] == (1, 2) and by_state[State.LEAD] == (1, 1)
    assert by_state[State.ONBOARDING] == (1, 0) and by_state[State.LOYAL] == (0, 0)
    wider = _get(manager, "from=2026-05-01&to=2026-07-19")
    assert _moves(wider) == {(State.HOT_LEAD, State.LEAD): 1, (State.TARGET_NO_LEAD, State.LEAD): 2,
                             (State.LEAD, State.NEGOTIATION): 1, (State.NEGOTIATION, State.ONBOARDING): 1}
    assert _moves(_get(manager, "from=2026-07-20&to=2026-07-20")) == {(State.NEGOTIATION, State.ACTIVE): 1}


@pytest.mark.parametrize(("query", "funnel", "moves"), [
    ("team=east", {State.ACTIVE: 1, State.LEAD: 1, State.ONBOARDING: 1}, 3),  # a1 once for Sora and Chika
    ("team=west", {State.NEGOTIATION: 1}, 1),
    ("owner={mark}", {State.NEGOTIATION: 1, State.LEAD: 2}, 2),
    ("owner={sora}", {State.ACTIVE: 1, State.ONBOARDING: 1}, 2),  # a6 once though Sora owns it twice
    ("owner={sora}&team=east", {State.ACTIVE: 1, State.ONBOARDING: 1}, 2),
    ("region=KANTO", {State.ACTIVE: 1, State.NEGOTIATION: 1}, 2),
    ("region=kansai&team=east", {State.ACTIVE: 1, State.LEAD: 1}, 2),
    ("industry=Manufacturing", {State.ACTIVE: 1, State.NEGOTIATION: 1}, 2),
    ("icp_tier=A", {State.ACTIVE: 1, State.ONBOARDING: 1}, 2),
    ("tier=c", {State.LEAD: 1}, 0),
    ("industry=none", {}, 0),
])
def test_filters_count_each_account_once(night, manager, marketer, sales, query, funnel, moves):
    data = _get(manager, query.format(mark=marketer.id, sora=sales.id))
    assert _funnel(data) == funnel
    assert data["total_moves"] == moves


@pytest.mark.parametrize(("who", "funnel"), [
    ("sales", {State.ACTIVE: 1, State.LEAD: 1, State.ONBOARDING: 1}),  # own and team east
    ("west", {State.NEGOTIATION: 1}),
    ("marketer", {State.NEGOTIATION: 1, State.LEAD: 2}),  # no team: own only
    ("executive", {State.ACTIVE: 1, State.NEGOTIATION: 1, State.LEAD: 2, State.ONBOARDING: 1}),
    ("admin_user", {State.ACTIVE: 1, State.NEGOTIATION: 1, State.LEAD: 2, State.ONBOARDING: 1}),
])
def test_each_role_sees_its_scope(night, request, who, funnel):
    data = _get(request.getfixturevalue(who))
    assert _funnel(data) == funnel
    assert data["scope"] == ("all" if who in ("executive", "admin_user") else "team")


def test_a_rep_cannot_read_another_team_or_its_people(night, sales, west):
    api = APIClient()
    api.force_authenticate(sales)
    for query, field in (("team=west", "team"), (f"owner={west.id}", "owner")):
        response = api.get(f"{API}?{query}")
        assert response.status_code == 400 and field in response.json(), query


def test_each_count_links_to_exactly_the_accounts_it_counts(night, client, manager):
    client.force_login(manager)
    api = APIClient()
    api.force_authenticate(manager)
    for query in ("", "team=east", "region=kanto", "from=2026-05-01&to=2026-07-20"):
        html = client.get(f"{PAGE}?{query}").content.decode()
        data = _get(manager, query)
        links = _links(html)
        assert links, query
        for href, shown in links:
            listed = api.get(href.replace("/accounts/?", "/api/v1/accounts/?")).json()["results"]
            assert len(listed) == shown, (query, href)
        moves = {r["moves"] for r in data["movement"]}
        assert moves <= {shown for _, shown in links}


def _links(html):
    """(href, the count it shows) of every accounts-list link of the funnel and movement tables."""
    import re

    section = html[html.index('id="funnel-accounts"'):]
    return [(href.replace("&amp;", "&"), int(n)) for href, n in re.findall(r'<a href="(/accounts/\?[^"]+)">(\d+)</a>',
                                                                           section)]


def test_movement_links_name_the_move_and_the_period(night, client, manager):
    client.force_login(manager)
    html = client.get(f"{PAGE}?team=east").content.decode()
    assert ('href="/accounts/?team=east&amp;moved_from=NEGOTIATION&amp;moved_to=ACTIVE&amp;moved_after=2026-06-21'
            '&amp;moved_before=2026-07-20"') in html
    assert 'href="/accounts/?team=east&amp;state=LEAD"' in html


def test_a_past_night_reads_its_own_funnel_and_does_not_link_to_todays_states(night, client, manager):
    a7 = _account("a7", State.LEAD)
    _night(D + dt.timedelta(days=1))
    assert _funnel(_get(manager))[State.LEAD] == 3
    assert _funnel(_get(manager, "as_of=2026-07-20"))[State.LEAD] == 2
    client.force_login(manager)
    html = client.get(f"{PAGE}?as_of=2026-07-20").content.decode()
    assert 'href="/accounts/?state=' not in html and "moved_to=" in html
    assert a7.state == State.LEAD


def test_a_move_made_during_the_day_after_a_night_is_kept_by_the_next_night(night, manager):
    # A touch logged on D after the night re-evaluated a3 as of D: its move is dated D, written after D's night.
    _move(night["a3"], D, State.LEAD, State.HOT_LEAD)
    assert _moves(_get(manager, "from=2026-07-20&to=2026-07-20")) == {(State.NEGOTIATION, State.ACTIVE): 1}
    _night(D + dt.timedelta(days=1))
    assert _moves(_get(manager, "from=2026-07-20&to=2026-07-21")) == {
        (State.NEGOTIATION, State.ACTIVE): 1, (State.LEAD, State.HOT_LEAD): 1}
    before = MovementSnapshot.objects.count()
    _night(D + dt.timedelta(days=1))  # a rerun of the same night: the same rows, not twice
    assert MovementSnapshot.objects.count() == before


def test_a_rerun_of_the_night_replaces_its_funnel(night, manager):
    before = set(FunnelSnapshot.objects.values_list("state", "owner_id", "region", "accounts"))
    funnel_snapshot_write(as_of=D)
    assert set(FunnelSnapshot.objects.values_list("state", "owner_id", "region", "accounts")) == before
    AccountEvaluation.objects.filter(account=night["a3"]).update(state=State.HOT_LEAD)
    funnel_snapshot_write(as_of=D)
    assert _funnel(_get(manager))[State.HOT_LEAD] == 1


def test_completed_runs_keep_the_funnel_and_the_move_from_deal_to_customer(sales):
    seed_configuration()
    account = AccountFactory(owner_sales=sales)
    deal = OpportunityFactory(account=account, opened_on=D - dt.timedelta(days=30))
    recompute_all(as_of=D)
    assert list(FunnelSnapshot.objects.filter(as_of=D).values_list("state", "owner_id", "team", "accounts")) == [
        (State.NEGOTIATION, sales.id, "east", 1)]
    deal.status, deal.closed_on = "won", D + dt.timedelta(days=1)
    deal.save()
    recompute_all(as_of=D + dt.timedelta(days=1))
    moves = list(MovementSnapshot.objects.values_list("as_of", "from_state", "to_state", "owner_id", "moves"))
    assert moves == [(D + dt.timedelta(days=1), State.NEGOTIATION, State.ONBOARDING, sales.id, 1)]


def test_before_any_night_everything_is_empty(client, manager):
    data = _get(manager)
    assert data["as_of"] is None and data["funnel"] == [] and data["movement"] == []
    client.force_login(manager)
    response = client.get(PAGE)
    assert response.status_code == 200 and b'id="funnel-no-night"' in response.content


def test_a_period_without_moves_says_so(night, client, manager):
    client.force_login(manager)
    html = client.get(f"{PAGE}?from=2026-01-01&to=2026-01-31").content.decode()
    assert 'id="movement-empty"' in html and 'id="chart-funnel"' in html


@pytest.mark.parametrize(("query", "field"), [
    ("as_of=yesterday", "as_of"), ("as_of=2026-07-01", "as_of"), ("from=2026-07-20&to=2026-07-01", "from"),
    ("from=2024-01-01&to=2026-07-20", "from"), ("to=2026-13-01", "to"), ("owner=sora", "owner"),
    ("icp_tier=Z", "icp_tier"), ("state=LEAD", "state"),  # the funnel shows every state
])
def test_bad_input_is_refused_naming_the_field(night, client, manager, query, field):
    api = APIClient()
    api.force_authenticate(manager)
    response = api.get(f"{API}?{query}")
    assert response.status_code == 400 and field in response.json(), query
    client.force_login(manager)
    page = client.get(f"{PAGE}?{query}")
    assert page.status_code == 400 and f"{field}:" in page.content.decode()


def test_page_shows_chart_and_tables_with_state_names(night, client, manager):
    client.force_login(manager)
    response = client.get(PAGE)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="funnel-data"' in html and "funnel-chart.js" in html and "chart.umd.min.js" in html
    assert '<th scope="row">Target without lead</th>' in html
    assert "<td>Lead</td><td>In negotiation</td>" in html
    assert "NEGOTIATION</td>" not in html  # no raw code on screen
    with translation.override("ja"):
        User.objects.filter(pk=manager.pk).update(language="ja")
        client.force_login(User.objects.get(pk=manager.pk))
        assert "商談中顧客" in client.get(PAGE, HTTP_ACCEPT_LANGUAGE="ja").content.decode()


def test_csv_of_each_table_starts_with_a_bom(night, client, sales):
    client.force_login(sales)
    response = client.get(f"{PAGE}?format=csv&table=funnel")
    body = response.content.decode("utf-8")
    assert response.status_code == 200 and body.startswith("\ufeff")
    lines = body[1:].splitlines()
    assert lines[0] == "State code,State,Accounts,Entered in the period,Left in the period"
    assert "ACTIVE,Active customer,1,1,0" in lines and "LEAD,Lead,1,1,0" in lines  # Sora's scope: team east
    body = client.get(f"{PAGE}?format=csv&table=movement").content.decode("utf-8")
    assert "NEGOTIATION,In negotiation,ACTIVE,Active customer,1" in body
    response = client.get(f"{PAGE}?format=csv&table=nope")
    assert response.status_code == 400 and "table:" in response.content.decode()


def test_every_role_may_open_the_page_and_anonymous_is_sent_to_login(night, client, personas):
    assert_page_access(client, personas, PAGE, tuple(Role.values))


def test_api_refuses_anonymous_and_serves_every_role(night, personas):
    assert_api_serves_every_role(personas, API)


def test_page_and_api_read_a_fixed_number_of_queries(night, client, manager, django_assert_max_num_queries):
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        assert client.get(PAGE).status_code == 200
    for i in range(20):
        _move(_account(f"x{i}", State.LEAD, owner_sales=UserFactory(team="north")), D, State.HOT_LEAD, State.LEAD)
    funnel_snapshot_write(as_of=D)
    with django_assert_max_num_queries(12):
        assert client.get(PAGE).status_code == 200
    with django_assert_max_num_queries(8):
        _get(manager)
