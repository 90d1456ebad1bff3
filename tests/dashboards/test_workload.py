"""Workload against capacity (dashboards.workload; docs/rules.md §10) on hand-computed data with the default
standards (docs/rules.md §4): touches asked for in the next 30 days per role and per owner, people, capacity."""

from __future__ import annotations

import datetime as dt

import pytest

from core.choices import Role, State
from dashboards import workload as wl
from dashboards.filtering import DashboardFilters, FilterError, Scope
from engine.models import RecomputeRun
from tests.dashboards.access import assert_api_serves_every_role
from tests.factories import AccountFactory, OpportunityFactory, UserFactory, kept_night

TODAY = dt.date(2026, 7, 20)  # 07-21 … 08-19: 21 business days (08-11 Mountain Day)


def test_touches_needed():
    assert wl.touches_needed(1, 7) == 5
    assert wl.touches_needed(2, 30) == 2
    assert wl.touches_needed(1, 365) == 1
    assert wl.touches_needed(3, 10) == 9


def keep(day=TODAY):
    """A completed night on `day` that kept its workload rows."""
    kept_night(day)
    return wl.workload_snapshot_write(as_of=day)


def figures(user=None, *, per_day=8, **filters):
    """The kept night's workload for `user` (everyone's without) and these filters."""
    keep()
    scope = Scope.of(user) if user else Scope(everyone=True)
    return wl.workload(DashboardFilters(scope=scope, **filters), night=TODAY, per_day=per_day)


@pytest.mark.parametrize("raw, expected", [(None, 8), ("", 8), ("12", 12)])
def test_per_day(raw, expected):
    assert wl.per_day_filter(raw) == expected


@pytest.mark.parametrize("raw", ["x", "0", "1000", "1.5"])
def test_bad_per_day_names_the_field(raw):
    with pytest.raises(FilterError) as refused:
        wl.per_day_filter(raw)
    assert refused.value.field == "per_day"


@pytest.fixture
def staff(db):
    csm = UserFactory(username="csm-w", role=Role.CSM, team="east")
    sales = UserFactory(username="sales-w", role=Role.SALES, team="east")
    other = UserFactory(username="sales-x", role=Role.SALES, team="west")
    UserFactory(username="gone", role=Role.SALES, is_active=False)
    marketer = UserFactory(username="mkt-w", role=Role.MARKETING, team="west")
    for _ in range(2):
        AccountFactory(state=State.LOYAL, owner_csm=csm)               # csm 1/30 + 1/365 → 2 each
    for _ in range(4):
        AccountFactory(state=State.ONBOARDING, owner_csm=csm)          # csm 1/7 → 5 each
    AccountFactory(state=State.NEGOTIATION, owner_sales=sales)         # sales 1/7 → 5
    AccountFactory(state=State.ACTIVE, owner_sales=sales)              # sales 1/30 → 1
    AccountFactory(state=State.ACTIVE, owner_sales=other)              # sales 1
    AccountFactory(state=State.ACTIVE)                                 # sales 1, no owner
    AccountFactory(state=State.LEAD, owner_marketing=marketer)         # marketing 2/30 → 2
    AccountFactory(state=State.TARGET_NO_LEAD, owner_marketing=marketer)  # no requirement
    return {"csm": csm, "sales": sales, "other": other, "marketer": marketer}


def by_role(found):
    return {r.role: r for r in found["roles"]}


def by_owner(found):
    return {(o.role, o.owner_id): o for o in found["owners"]}


def test_touches_per_role_and_owner(staff):
    found = figures()
    assert found["business_days"] == 21 and found["per_person_capacity"] == 8 * 21
    roles = by_role(found)
    assert (roles[Role.CSM].accounts, roles[Role.CSM].touches, roles[Role.CSM].people) == (6, 24, 1)
    assert (roles[Role.SALES].accounts, roles[Role.SALES].touches, roles[Role.SALES].people) == (4, 8, 2)
    assert roles[Role.SALES].per_person == 4.0 and roles[Role.SALES].capacity == 2 * 168
    assert (roles[Role.MARKETING].accounts, roles[Role.MARKETING].touches) == (1, 2)
    assert roles[Role.INSIDE_SALES].touches == 0 and roles[Role.INSIDE_SALES].people == 0
    owners = by_owner(found)
    assert owners[Role.CSM, staff["csm"].pk].touches == 24
    assert owners[Role.SALES, staff["sales"].pk].touches == 6
    assert owners[Role.SALES, None].touches == 1 and owners[Role.SALES, None].name == ""
    assert not any(r.over for r in found["roles"])


def test_over_capacity_with_fewer_touches_per_day(staff):
    found = figures(per_day=1)
    roles = by_role(found)
    assert roles[Role.CSM].capacity == 21 and roles[Role.CSM].over  # 24 asked, 21 possible
    assert not roles[Role.SALES].over
    owners = by_owner(found)
    assert wl.over_capacity(owners[Role.CSM, staff["csm"].pk], 21)
    assert not wl.over_capacity(owners[Role.SALES, staff["sales"].pk], 21)
    assert wl.over_capacity(owners[Role.SALES, None], 21)  # nobody owns it


def test_a_role_with_touches_and_nobody_is_over(staff):
    staff["marketer"].is_active = False
    staff["marketer"].save()
    roles = by_role(figures())
    assert roles[Role.MARKETING].people == 0 and roles[Role.MARKETING].over


def test_rep_sees_team_and_filters(staff):
    found = by_role(figures(staff["sales"]))
    assert found[Role.CSM].touches == 24 and found[Role.SALES].touches == 6  # east only, no unowned account
    one = by_role(figures(owner=staff["other"].pk))
    assert one[Role.SALES].touches == 1 and one[Role.CSM].touches == 0
    west = by_role(figures(team="west"))
    assert (west[Role.SALES].touches, west[Role.MARKETING].touches) == (1, 2)


def test_state_tier_industry_and_region_filters(staff):
    AccountFactory(state=State.NEGOTIATION, owner_sales=staff["sales"], icp_tier="A", industry="it",
                   regions=["Kanto", "Kansai"])
    everyone = by_role(figures())
    assert everyone[Role.SALES].touches == 8 + 5  # the account in two regions counts once
    assert by_role(figures(state=State.NEGOTIATION))[Role.SALES].touches == 10
    assert by_role(figures(icp_tier="A"))[Role.SALES].touches == 5
    assert by_role(figures(industry="IT"))[Role.SALES].accounts == 1
    kansai = by_role(figures(region="kansai"))
    assert (kansai[Role.SALES].touches, kansai[Role.CSM].touches) == (5, 0)


def test_a_past_night_keeps_its_own_figures(staff):
    keep(TODAY - dt.timedelta(days=1))
    AccountFactory(state=State.NEGOTIATION, owner_sales=staff["sales"])
    assert by_role(figures())[Role.SALES].touches == 13
    before = wl.workload(DashboardFilters(), night=TODAY - dt.timedelta(days=1))
    assert by_role(before)[Role.SALES].touches == 8


@pytest.mark.django_db
def test_empty_database(django_assert_max_num_queries):
    keep()
    with django_assert_max_num_queries(12):
        found = wl.workload(DashboardFilters(), night=TODAY)
    assert all(r.accounts == 0 and r.touches == 0 for r in found["roles"]) and found["owners"] == []


def test_fixed_number_of_queries(staff, django_assert_max_num_queries):
    for _ in range(10):
        AccountFactory(state=State.HOT_LEAD, owner_inside_sales=UserFactory(role=Role.INSIDE_SALES))
    keep()
    with django_assert_max_num_queries(6):
        wl.workload(DashboardFilters(), night=TODAY)


# --- The page, its CSV and the API -------------------------------------------------------------------------------

PAGE, API = "/dashboards/workload/", "/api/v1/dashboards/workload/"


def _en(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


def test_page_access_every_role(client, personas):
    from tests.web.access import assert_page_access

    assert_page_access(client, personas, PAGE, tuple(Role.values))


def test_api_access(api, personas):
    assert_api_serves_every_role(personas, API, api)


def test_page_names_roles_and_flags_over_capacity(client, staff):
    keep()
    manager = _en(UserFactory(username="boss-p", role=Role.MANAGER))
    client.force_login(manager)
    page = client.get(PAGE, {"per_day": "1"}).content.decode()
    assert "Customer success" in page and "Field sales" in page and ">csm<" not in page
    assert "Cannot be met with today&#x27;s staff" in page and "Nobody owns these accounts" in page
    assert "Csm-W" in page


def test_empty_state(client, db):
    client.force_login(_en(UserFactory(username="boss-e", role=Role.MANAGER)))
    assert "No night has completed yet" in client.get(PAGE).content.decode()
    keep()
    page = client.get(PAGE).content.decode()
    assert "the standard asks for no touches" in page and "No owner has touches to make." in page


def test_csv_export(client, staff):
    keep()
    client.force_login(_en(UserFactory(username="boss-c", role=Role.MANAGER)))
    response = client.get(PAGE, {"format": "csv", "table": "owners", "team": "east"})
    text = response.content.decode("utf-8")
    assert response.status_code == 200 and text.startswith("\ufeff")
    lines = text[1:].splitlines()
    assert lines[0] == ("Responsible role,Owner,Team,Accounts,Touches in the next 30 days,Capacity per person,"
                        "Standard")
    assert len(lines) == 3 and any(",east,6,24," in line for line in lines)
    assert client.get(PAGE, {"format": "csv", "table": "x"}).status_code == 400


@pytest.mark.parametrize("query, field, label", [({"per_day": "0"}, "per_day", "Touches per person per day"),
                                                 ({"owner": "nobody"}, "owner", "Owner"),
                                                 ({"as_of": "2026-07-19"}, "as_of", "Night of"),
                                                 ({"team": "a\x00b"}, "team", "Team")])
def test_bad_filters_name_the_field(client, api, staff, query, field, label):
    keep()
    manager = _en(UserFactory(username="boss-b", role=Role.MANAGER))
    client.force_login(manager)
    page = client.get(PAGE, query)
    assert page.status_code == 400 and f"{label}: " in page.content.decode()
    api.force_authenticate(manager)
    response = api.get(API, query)
    assert response.status_code == 400 and list(response.json()) == [field]


def test_api_figures_and_rep_scope(api, staff):
    keep()
    api.force_authenticate(staff["other"])
    data = api.get(API, {"per_day": "1"}).json()
    assert data["per_day"] == 1 and data["per_person_capacity"] == data["business_days"]
    roles = {r["role"]: r for r in data["by_role"]}
    assert roles[Role.SALES]["touches"] == 1 and roles[Role.MARKETING]["touches"] == 2  # team west only
    assert [o["name"] for o in data["by_owner"]] == ["Sales-X", "Mkt-W"]


def test_page_query_budget(client, staff, django_assert_max_num_queries):
    keep()
    client.force_login(UserFactory(username="boss-q", role=Role.MANAGER))
    with django_assert_max_num_queries(16):
        assert client.get(PAGE).status_code == 200


def test_page_reads_the_kept_night_and_links_each_owner_to_the_accounts_list(client, staff):
    keep()
    AccountFactory(state=State.NEGOTIATION, owner_sales=staff["sales"])  # after the night: not on the page
    client.force_login(_en(UserFactory(username="boss-l", role=Role.MANAGER)))
    page = client.get(PAGE, {"team": "east"}).content.decode()
    assert f"/accounts/?team=east&amp;responsible_role=sales&amp;owner={staff['sales'].pk}" in page
    assert "/accounts/?team=east&amp;responsible_role=csm" in page
    assert "team=east&amp;per_day=8&amp;format=csv&amp;table=owners" in page  # the export keeps the filter
    data = client.get(API, {"team": "east"}).json()
    assert {r["role"]: r["touches"] for r in data["by_role"]}[Role.SALES] == 6
    assert data["as_of"] == TODAY.isoformat() and data["filters"] == {"team": "east"}


def test_rep_cannot_read_another_team(client, api, staff):
    keep()
    client.force_login(staff["sales"])
    assert client.get(PAGE, {"team": "west"}).status_code == 400
    api.force_authenticate(staff["sales"])
    assert list(api.get(API, {"owner": staff["other"].pk}).json()) == ["owner"]


def test_a_completed_night_keeps_the_workload_and_the_outcome_facts(staff):
    from accounts.models import Account
    from dashboards.models import OutcomeSnapshot
    from engine.services import recompute_all

    OpportunityFactory(account=AccountFactory(is_target=True, owner_sales=staff["sales"]))  # a deal: NEGOTIATION
    run = recompute_all(as_of=TODAY)
    assert run.status == RecomputeRun.Status.COMPLETED
    assert set(OutcomeSnapshot.objects.values_list("as_of", flat=True)) == {TODAY}  # the initial classifications
    need = wl.per_state_and_role()
    expected = {role: sum(need[role].get(a.state, 0) for a in Account.objects.all()) for role in need}
    found = wl.workload(DashboardFilters(), night=TODAY)
    assert {r.role: r.touches for r in found["roles"]} == expected and expected[Role.SALES] >= 5
