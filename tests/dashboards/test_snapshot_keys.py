"""The keys snapshots keep accounts under (dashboards.snapshot_keys): one row per distinct owner with the owner's team
and the flags that pick each account once, one row per distinct region; and the night's SQL (dashboards.funnel's
by_owner_sql, which the funnel, movement and content mix write with) puts accounts on exactly the rows the Python
spread (the outcome facts' writer) does."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import Account
from core.choices import OWNER_ROLES
from dashboards.funnel import OWNERS_AS, PLACE_KEYS, REGIONS_TEXT, by_owner_sql, kept_by_place
from dashboards.snapshot_keys import owner_rows, regions_of, spread, team_of_users
from tests.factories import AccountFactory


def test_an_account_is_kept_once_per_distinct_owner_with_its_first_owner_and_first_in_each_team():
    teams = {1: "east", 2: "east", 3: "west"}
    assert owner_rows((2, None, 1, 2, 3), teams) == [
        (2, "east", True, True), (1, "east", False, False), (3, "west", False, True)]
    assert owner_rows((None,) * 5, teams) == [(None, "", True, True)]


def test_regions_are_distinct_trimmed_and_an_account_without_any_still_has_one_row():
    assert regions_of(["kanto", " kanto ", "kansai", ""]) == ["kanto", "kansai"]
    assert regions_of('["tohoku"]') == ["tohoku"]
    assert regions_of(None) == [""] and regions_of([]) == [""] and regions_of("{}") == [""]


@pytest.mark.django_db
def test_the_nights_sql_keeps_accounts_under_the_same_keys_as_the_python_spread(
        manager, csm, sales, inside_sales, marketer, executive):
    AccountFactory(industry="retail", regions=["kanto", "kansai"], icp_tier="A", owner_sales=sales, owner_csm=csm)
    AccountFactory(industry="retail", regions=["kanto"], icp_tier="A", owner_sales=sales, owner_csm=csm)
    AccountFactory(industry="it", regions=[], icp_tier="", owner_marketing=marketer, owner_executive=executive,
                   owner_inside_sales=marketer)
    AccountFactory(industry="", regions=["tohoku", "tohoku"], icp_tier="B")
    AccountFactory(industry="it", regions=["kansai"], icp_tier="C", owner_csm=manager, owner_sales=inside_sales)
    inner = (f"SELECT a.industry, a.icp_tier, {REGIONS_TEXT}, {OWNERS_AS}, 1 AS n "
             f"FROM {Account._meta.db_table} a")
    with connection.cursor() as cursor:
        cursor.execute(by_owner_sql(inner, PLACE_KEYS))
        by_sql = kept_by_place(cursor.fetchall(), 0)

    owner_fields = [f"owner_{role}_id" for role in OWNER_ROLES]
    groups = [(*row, 1) for row in Account.objects.values_list("industry", "icp_tier", "regions", *owner_fields)]
    by_python = spread(groups, team_of_users())

    assert dict(by_sql) == dict(by_python)
    # Each account once on the rows a figure for everyone reads (first owner, first region).
    assert sum(n for key, n in by_sql.items() if key[5] and key[7]) == 5
