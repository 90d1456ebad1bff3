"""The dashboards' one filter (dashboards.filtering): read from the URL with a message naming each bad parameter,
scoped to the viewer (reps: their own and their team's; managers, admins, executives: everyone), given back as URL
parameters, turned into the drill-down link to the accounts list, and every table's CSV with a byte order mark."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import translation

from core.choices import Role, State
from dashboards.filtering import (DashboardFilters, FilterError, Scope, accounts_link, csv_response, filter_choices,
                                  parse_filters)
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _errors(params, user=None) -> dict:
    with pytest.raises(FilterError) as refused:
        parse_filters(params, user)
    return refused.value.errors


def test_every_filter_is_read_from_the_url():
    f = parse_filters({"team": " east ", "owner": "7", "state": State.LOYAL, "industry": "Retail", "region": "Kanto",
                       "icp_tier": "a", "as_of": "2026-07-20", "from": "2026-06-01", "to": "2026-07-01"})
    assert (f.team, f.owner, f.state, f.industry, f.region, f.icp_tier) == ("east", 7, "LOYAL", "Retail", "Kanto", "A")
    assert (f.as_of, f.date_from, f.date_to) == (dt.date(2026, 7, 20), dt.date(2026, 6, 1), dt.date(2026, 7, 1))
    assert f.scope.everyone


def test_the_depth_pages_tier_and_the_long_period_names_are_read_too():
    f = parse_filters({"tier": "B", "date_from": "2026-01-01", "date_to": "2026-02-01"})
    assert (f.icp_tier, f.date_from, f.date_to) == ("B", dt.date(2026, 1, 1), dt.date(2026, 2, 1))


def test_no_parameter_means_no_filter():
    f = parse_filters({})
    assert f.is_empty and f.query() == {} and f.owner is None and f.as_of is None


@pytest.mark.parametrize(("params", "field"), [
    ({"owner": "sora"}, "owner"), ({"owner": "-1"}, "owner"), ({"owner": "99999999999"}, "owner"),
    ({"state": "HAPPY"}, "state"), ({"icp_tier": "D"}, "icp_tier"), ({"tier": "Z"}, "tier"),
    ({"as_of": "2026-13-01"}, "as_of"), ({"from": "yesterday"}, "from"), ({"date_to": "2026/07/01"}, "to"),
    ({"from": "2026-07-02", "to": "2026-07-01"}, "from"), ({"team": "x" * 101}, "team"),
    ({"industry": "a\x00b"}, "industry"), ({"region": "r" * 200}, "region"),
])
def test_a_value_that_cannot_be_read_is_refused_naming_its_parameter(params, field):
    assert list(_errors(params)) == [field]


def test_every_bad_parameter_is_named_at_once():
    errors = _errors({"owner": "x", "state": "NOPE", "to": "never"})
    assert set(errors) == {"owner", "state", "to"}
    assert FilterError(errors).lines()[0].startswith("owner: ")


def test_query_gives_the_filters_back_without_the_empty_ones():
    f = parse_filters({"team": "east", "icp_tier": "C", "from": "2026-06-01", "state": ""})
    assert f.query() == {"team": "east", "icp_tier": "C", "from": "2026-06-01"}
    assert f.query(format="csv", team=None) == {"icp_tier": "C", "from": "2026-06-01", "format": "csv"}
    assert parse_filters(f.query()).query() == f.query()


@pytest.mark.django_db
def test_managers_admins_and_executives_see_everyone(personas):
    for role in (Role.MANAGER, Role.ADMIN, Role.EXECUTIVE):
        assert Scope.of(personas[role]).everyone
    for role in (Role.SALES, Role.CSM, Role.INSIDE_SALES, Role.MARKETING):
        assert not Scope.of(personas[role]).everyone


@pytest.mark.django_db
def test_a_rep_may_narrow_to_their_team_and_its_people_only(sales, csm):
    outsider = UserFactory(username="wes", role=Role.SALES, team="west")
    f = parse_filters({"team": "east", "owner": str(csm.pk)}, sales)
    assert (f.scope.team, f.scope.user_id, f.owner) == ("east", sales.pk, csm.pk)
    assert list(_errors({"team": "west"}, sales)) == ["team"]
    assert list(_errors({"owner": str(outsider.pk)}, sales)) == ["owner"]
    assert parse_filters({"owner": str(sales.pk)}, sales).owner == sales.pk


@pytest.mark.django_db
def test_a_rep_without_a_team_may_read_only_their_own(marketer, sales):
    assert parse_filters({"owner": str(marketer.pk)}, marketer).owner == marketer.pk
    assert list(_errors({"owner": str(sales.pk)}, marketer)) == ["owner"]
    assert list(_errors({"team": "east"}, marketer)) == ["team"]


@pytest.mark.django_db
def test_a_manager_may_narrow_to_any_team_or_owner(manager):
    other = UserFactory(username="wes", role=Role.SALES, team="west")
    f = parse_filters({"team": "west", "owner": str(other.pk)}, manager)
    assert (f.team, f.owner) == ("west", other.pk)


@pytest.mark.django_db
def test_the_filter_bar_offers_a_rep_only_their_team(sales, csm, marketer, manager):
    UserFactory(username="wes", role=Role.SALES, team="west")
    owners, teams = filter_choices(Scope.of(sales))
    assert teams == ["east"] and {sales.pk, csm.pk} <= {pk for pk, _ in owners}
    assert all(pk != marketer.pk for pk, _ in owners)
    assert filter_choices(Scope.of(marketer)) == ([(marketer.pk, str(marketer))], [])
    assert filter_choices(Scope.of(manager))[1] == ["east", "west"]


def _link_params(url: str) -> dict:
    parts = urlsplit(url)
    assert parts.path == "/accounts/"
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


@pytest.mark.django_db
def test_the_drill_down_keeps_the_filter_and_adds_the_figures_key(manager):
    f = parse_filters({"state": State.ACTIVE, "icp_tier": "A", "region": "Kanto", "as_of": "2026-07-20",
                       "from": "2026-06-01"}, manager)
    assert _link_params(f.accounts_link(coverage="under_covered")) == {
        "state": "ACTIVE", "icp_tier": "A", "region": "Kanto", "coverage": "under_covered"}
    # The figure's own key wins over the filter (a row of another state on an unfiltered page).
    assert _link_params(f.accounts_link(state=State.LOYAL))["state"] == "LOYAL"
    assert accounts_link() == "/accounts/"


@pytest.mark.django_db
def test_a_reps_drill_down_carries_their_scope(sales, marketer, csm):
    assert _link_params(parse_filters({}, sales).accounts_link()) == {"team": "east"}
    assert _link_params(parse_filters({}, marketer).accounts_link()) == {"owner": str(marketer.pk)}
    assert _link_params(parse_filters({"owner": str(csm.pk)}, sales).accounts_link()) == {"owner": str(csm.pk)}


def test_the_csv_starts_with_a_bom_and_its_header_and_defuses_formulas():
    response = csv_response("x.csv", ["State", "Accounts"], [["=SUM(A1)", 3], ["ロイヤル", 0]])
    body = response.content.decode("utf-8")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert body.startswith("\ufeffState,Accounts\r\n")
    assert body.splitlines()[1:] == ["'=SUM(A1),3", "ロイヤル,0"]


def test_narrowed_copies_without_changing_the_original():
    f = DashboardFilters(state=State.LOYAL)
    g = f.narrowed(state=State.ACTIVE)
    assert (f.state, g.state) == ("LOYAL", "ACTIVE")
