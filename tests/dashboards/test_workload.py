"""Workload against capacity (dashboards.workload; docs/rules.md §10) on hand-computed data with the default
standards (docs/rules.md §4): touches asked for in the next 30 days per role and per owner, people, capacity."""

from __future__ import annotations

import datetime as dt

import pytest

from core.choices import Role, State
from dashboards import workload as wl
from tests.factories import AccountFactory, UserFactory

TODAY = dt.date(2026, 7, 20)  # 07-21 … 08-19: 21 business days (08-11 Mountain Day)


def test_touches_needed():
    assert wl.touches_needed(1, 7) == 5
    assert wl.touches_needed(2, 30) == 2
    assert wl.touches_needed(1, 365) == 1
    assert wl.touches_needed(3, 10) == 9


@pytest.mark.parametrize("raw, expected", [(None, 8), ("", 8), ("12", 12)])
def test_per_day(raw, expected):
    assert wl.per_day_filter(raw) == expected


@pytest.mark.parametrize("raw", ["x", "0", "1000", "1.5"])
def test_bad_per_day_names_the_field(raw):
    with pytest.raises(wl.WorkloadError) as refused:
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
    found = wl.workload(today=TODAY)
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
    found = wl.workload(today=TODAY, per_day=1)
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
    roles = by_role(wl.workload(today=TODAY))
    assert roles[Role.MARKETING].people == 0 and roles[Role.MARKETING].over


def test_rep_sees_team_and_filters(staff):
    people = wl.people_filter(staff["sales"])
    found = by_role(wl.workload(today=TODAY, people=people))
    assert found[Role.CSM].touches == 24 and found[Role.SALES].touches == 6  # east only, no unowned account
    with pytest.raises(wl.WorkloadError) as refused:
        wl.people_filter(staff["sales"], owner="sales-x")
    assert refused.value.field == "owner"
    manager = UserFactory(username="boss-w", role=Role.MANAGER)
    one = by_role(wl.workload(today=TODAY, people=wl.people_filter(manager, owner="sales-x")))
    assert one[Role.SALES].touches == 1 and one[Role.CSM].touches == 0
    west = by_role(wl.workload(today=TODAY, people=wl.people_filter(manager, team="west")))
    assert (west[Role.SALES].touches, west[Role.MARKETING].touches) == (1, 2)


@pytest.mark.django_db
def test_empty_database(django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        found = wl.workload(today=TODAY)
    assert all(r.accounts == 0 and r.touches == 0 for r in found["roles"]) and found["owners"] == []


def test_fixed_number_of_queries(staff, django_assert_max_num_queries):
    for _ in range(10):
        AccountFactory(state=State.HOT_LEAD, owner_inside_sales=UserFactory(role=Role.INSIDE_SALES))
    with django_assert_max_num_queries(12):
        wl.workload(today=TODAY)


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
    assert api.get(API).status_code in (401, 403)
    for user in personas.values():
        api.force_authenticate(user)
        assert api.get(API).status_code == 200


def test_page_names_roles_and_flags_over_capacity(client, staff):
    manager = _en(UserFactory(username="boss-p", role=Role.MANAGER))
    client.force_login(manager)
    page = client.get(PAGE, {"per_day": "1"}).content.decode()
    assert "Customer success" in page and "Field sales" in page and ">csm<" not in page
    assert "Cannot be met with today&#x27;s staff" in page and "Nobody owns these accounts" in page
    assert "Csm-W" in page


def test_empty_state(client, db):
    client.force_login(_en(UserFactory(username="boss-e", role=Role.MANAGER)))
    page = client.get(PAGE).content.decode()
    assert "the standard asks for no touches" in page and "No owner has touches to make." in page


def test_csv_export(client, staff):
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
                                                 ({"team": "a\x00b"}, "team", "Team")])
def test_bad_filters_name_the_field(client, api, staff, query, field, label):
    manager = _en(UserFactory(username="boss-b", role=Role.MANAGER))
    client.force_login(manager)
    page = client.get(PAGE, query)
    assert page.status_code == 400 and f"{label}: " in page.content.decode()
    api.force_authenticate(manager)
    response = api.get(API, query)
    assert response.status_code == 400 and list(response.json()) == [field]


def test_api_figures_and_rep_scope(api, staff):
    api.force_authenticate(staff["other"])
    data = api.get(API, {"per_day": "1"}).json()
    assert data["per_day"] == 1 and data["per_person_capacity"] == data["business_days"]
    roles = {r["role"]: r for r in data["by_role"]}
    assert roles[Role.SALES]["touches"] == 1 and roles[Role.MARKETING]["touches"] == 2  # team west only
    assert [o["name"] for o in data["by_owner"]] == ["Sales-X", "Mkt-W"]


def test_page_query_budget(client, staff, django_assert_max_num_queries):
    client.force_login(UserFactory(username="boss-q", role=Role.MANAGER))
    with django_assert_max_num_queries(16):
        assert client.get(PAGE).status_code == 200
