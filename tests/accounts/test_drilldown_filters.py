"""The accounts list's drill-down filters (accounts/filtersets.py), on hand-built accounts: the team of an owner,
the responsible role (with it, owner, team and coverage class are those of that role's requirements), the coverage
class of docs/rules.md §9, touched within N days as of the latest night, target accounts — on the page, the API
and the export alike, bad values refused naming the field, the page's query budget kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import filtersets, views
from accounts.filtersets import AccountFilterSet
from accounts.models import Account
from core.choices import Role, State
from engine.models import AccountEvaluation, CoverageRow
from tests.factories import AccountFactory, TouchFactory, UserFactory, kept_night

pytestmark = pytest.mark.django_db

D = dt.date(2026, 7, 20)


def _account(name, state, *, coverage="", last_touch=None, **owners):
    account = AccountFactory(name=name, state=state, **owners)
    AccountEvaluation.objects.create(account=account, state=state, coverage=coverage,
                                     last_touch_on=None if last_touch is None else D - dt.timedelta(days=last_touch),
                                     after_night=last_touch is not None and last_touch < 0)
    return account


def _row(account, code, status, role, assignee):
    CoverageRow.objects.create(account=account, state=account.state, requirement=code, kind="human", min_count=1,
                               window_days=30, counted=0, gap=1, status=status, responsible_role=role,
                               assignee=assignee, as_of=D)


@pytest.fixture(autouse=True, params=["walked in name order", "read by id first"])
def matching_side(request, monkeypatch):
    """Every test twice: with the candidates always too many to read by id (the name-ordered walk; none still lists
    none) and always few enough (the accounts read by id, then sorted by name)."""
    monkeypatch.setattr(filtersets, "SPARSE_MATCHES", 0 if request.param == "walked in name order" else 10_000)
    return request.param


@pytest.fixture
def book(sales, csm, inside_sales):
    """East: Sora (sales), Chika (csm), Ines (inside sales); west: Wes (sales).
    alpha  ACTIVE  sales Sora covered, csm Chika under-covered       → under_covered; touched 3 days before D
    bravo  ACTIVE  sales Sora grace                                  → grace; touched 40 days before
    charlie LOYAL  csm Chika covered                                 → compliant; never touched
    delta  NEGOTIATION sales Wes under-covered, inside Ines grace    → under_covered; touched after D (and 20 before)
    echo   OUT_OF_SCOPE, owned by Sora, no requirements; touched 1 day before
    fox    never evaluated (no state)"""
    west = UserFactory(username="wes", role=Role.SALES, team="west")
    accounts = {
        "alpha": _account("alpha", State.ACTIVE, coverage="under_covered", last_touch=3, owner_sales=sales,
                          owner_csm=csm),
        "bravo": _account("bravo", State.ACTIVE, coverage="grace", last_touch=40, owner_sales=sales),
        "charlie": _account("charlie", State.LOYAL, coverage="compliant", owner_csm=csm),
        "delta": _account("delta", State.NEGOTIATION, coverage="under_covered", last_touch=-1, owner_sales=west,
                          owner_inside_sales=inside_sales),
        "echo": _account("echo", State.OUT_OF_SCOPE, last_touch=1, owner_sales=sales),
        "fox": AccountFactory(name="fox", owner_sales=west),
    }
    a = accounts
    _row(a["alpha"], "human", "covered", Role.SALES, sales)
    _row(a["alpha"], "executive", "under_covered", Role.CSM, csm)
    _row(a["bravo"], "human", "grace", Role.SALES, sales)
    _row(a["charlie"], "human", "covered", Role.CSM, csm)
    _row(a["delta"], "human", "under_covered", Role.SALES, west)
    _row(a["delta"], "call", "grace", Role.INSIDE_SALES, inside_sales)
    TouchFactory(account=a["delta"], occurred_at=timezone.now(), occurred_on=D - dt.timedelta(days=20))
    TouchFactory(account=a["delta"], occurred_at=timezone.now(), occurred_on=D + dt.timedelta(days=1))
    kept_night(D)
    return accounts


def names(params) -> list[str]:
    filterset = AccountFilterSet(params, queryset=Account.objects.all())
    assert filterset.is_valid(), filterset.errors
    return sorted(filterset.qs.values_list("name", flat=True))


def test_team_is_the_team_of_any_owner(book):
    assert names({"team": "east"}) == ["alpha", "bravo", "charlie", "delta", "echo"]
    assert names({"team": "west"}) == ["delta", "fox"]
    assert names({"team": "north"}) == []


def test_coverage_class_is_the_accounts_own(book):
    assert names({"coverage": "under_covered"}) == ["alpha", "delta"]
    assert names({"coverage": "grace"}) == ["bravo"]
    assert names({"coverage": "compliant"}) == ["charlie"]


def test_responsible_role_selects_accounts_with_requirements_of_that_role(book):
    assert names({"responsible_role": Role.SALES}) == ["alpha", "bravo", "delta"]
    assert names({"responsible_role": Role.CSM}) == ["alpha", "charlie"]
    assert names({"responsible_role": Role.MARKETING}) == []


def test_with_a_role_the_coverage_class_is_that_roles_requirements(book):
    # alpha is under-covered as an account (its csm requirement) but compliant for sales.
    assert names({"responsible_role": Role.SALES, "coverage": "compliant"}) == ["alpha"]
    assert names({"responsible_role": Role.SALES, "coverage": "grace"}) == ["bravo"]
    assert names({"responsible_role": Role.SALES, "coverage": "under_covered"}) == ["delta"]
    assert names({"responsible_role": Role.INSIDE_SALES, "coverage": "grace"}) == ["delta"]
    assert names({"responsible_role": Role.CSM, "coverage": "under_covered"}) == ["alpha"]


def test_with_a_role_owner_and_team_are_that_roles_assignee(book, sales, csm):
    assert names({"responsible_role": Role.SALES, "owner": str(sales.pk)}) == ["alpha", "bravo"]
    assert names({"responsible_role": Role.SALES, "team": "east"}) == ["alpha", "bravo"]
    assert names({"responsible_role": Role.SALES, "team": "west"}) == ["delta"]
    # delta's sales owner is in the west, its inside-sales owner in the east: without a role, both teams list it.
    assert names({"responsible_role": Role.INSIDE_SALES, "team": "east", "coverage": "grace"}) == ["delta"]
    assert names({"responsible_role": Role.CSM, "owner": str(sales.pk)}) == []
    assert names({"owner": str(csm.pk)}) == ["alpha", "charlie"]


def test_touched_within_counts_back_from_the_latest_night(book):
    # D - 29 … D: alpha (3 days), echo (1); delta's latest touch is after D, its touch 20 days before D counts.
    assert names({"touched_within": 30}) == ["alpha", "delta", "echo"]
    assert names({"touched_within": 90}) == ["alpha", "bravo", "delta", "echo"]
    assert names({"touched_within": 3}) == ["echo"]
    assert names({"touched_within": 4}) == ["alpha", "echo"]


def test_target_accounts_are_evaluated_and_not_out_of_scope(book):
    assert names({"target": "true"}) == ["alpha", "bravo", "charlie", "delta"]
    assert names({"target": "false"}) == ["echo", "fox"]
    assert names({"target": "true", "touched_within": 30}) == ["alpha", "delta"]


@pytest.mark.parametrize(("params", "field"), [
    ({"coverage": "covered"}, "coverage"), ({"responsible_role": "boss"}, "responsible_role"),
    ({"touched_within": "0"}, "touched_within"), ({"touched_within": "soon"}, "touched_within"),
    ({"touched_within": "99999"}, "touched_within"), ({"team": "t" * 101}, "team"), ({"target": "maybe"}, "target"),
])
def test_bad_values_are_refused_naming_the_field_on_the_api_and_the_page(book, manager, params, field):
    api = APIClient()
    api.force_authenticate(manager)
    response = api.get("/api/v1/accounts/", params)
    assert response.status_code == 400 and field in response.json()
    client_page = _client(manager).get(reverse("accounts:list"), params)
    assert field in client_page.context["filter"].errors


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_the_page_api_and_export_share_the_filters(book, manager):
    params = {"responsible_role": Role.SALES, "team": "east", "coverage": "grace"}
    page = _client(manager).get(reverse("accounts:list"), params)
    assert [a.name for a in page.context["accounts"]] == ["bravo"]
    api = APIClient()
    api.force_authenticate(manager)
    assert [a["name"] for a in api.get("/api/v1/accounts/", params).json()["results"]] == ["bravo"]
    export = b"".join(_client(manager).get(reverse("accounts:export"), params).streaming_content).decode()
    assert len(export.strip().splitlines()) == 2 and ",bravo," in export


def test_the_filtered_page_keeps_its_query_budget(book, manager, django_assert_max_num_queries):
    client = _client(manager)
    params = {"responsible_role": Role.SALES, "team": "east", "coverage": "compliant", "touched_within": "30",
              "target": "true", "state": State.ACTIVE}
    client.get(reverse("accounts:list"), params)
    with django_assert_max_num_queries(12):
        assert [a.name for a in client.get(reverse("accounts:list"), params).context["accounts"]] == ["alpha"]


KINDS = ((State.ACTIVE, "under_covered", "under_covered"), (State.ACTIVE, "grace", "grace"),
         (State.LOYAL, "compliant", "covered"))


@pytest.mark.parametrize(("params", "kinds"), [
    ({"coverage": "under_covered"}, {"under_covered"}),
    ({"state": State.ACTIVE, "coverage": "grace"}, {"grace"}),
    ({"responsible_role": Role.SALES, "team": "east"}, {"under_covered", "grace", "compliant"}),
    ({"responsible_role": Role.SALES, "coverage": "under_covered"}, {"under_covered"}),
    ({"responsible_role": Role.CSM, "state": State.LOYAL, "coverage": "compliant"}, {"compliant"}),
    ({"state": State.LOYAL, "coverage": "grace"}, set()),
])
def test_drill_down_pages_follow_the_name_order(sales, csm, manager, monkeypatch, params, kinds):
    """Seven accounts of each kind, names shared by several, two to a page: the pages list the matches in name
    order, then id, each once."""
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    expected = []
    for i in range(7):
        for state, coverage, status in KINDS:
            account = _account(f"n{(i * 5) % 4}", state, coverage=coverage, owner_sales=sales, owner_csm=csm)
            _row(account, "human", status, Role.SALES, sales)
            _row(account, "executive", status, Role.CSM, csm)
            if coverage in kinds:
                expected.append((account.name, account.pk))
    client, seen, after = _client(manager), [], None
    for _ in range(20):
        page = client.get(reverse("accounts:list"), {**params, **({"after": after} if after else {})})
        seen += [(a.name, a.pk) for a in page.context["accounts"]]
        after = page.context["next_cursor"]
        if not after:
            break
    assert seen == sorted(expected)


def test_a_drill_down_reads_its_candidates_in_one_more_query(book, manager):
    client = _client(manager)
    client.get(reverse("accounts:list"))
    with CaptureQueriesContext(connection) as plain:
        client.get(reverse("accounts:list"), {"state": State.ACTIVE})
    with CaptureQueriesContext(connection) as drilled:
        page = client.get(reverse("accounts:list"), {"state": State.ACTIVE, "coverage": "grace"})
    assert [a.name for a in page.context["accounts"]] == ["bravo"]
    assert len(drilled.captured_queries) == len(plain.captured_queries) + 1
