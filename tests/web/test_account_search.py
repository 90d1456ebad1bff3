"""Searching accounts (the accounts list and the API share the filter): part of the name, case-insensitive, or
an exact external id or corporate number — and at a million accounts by index, never by reading the table."""

import pytest
from django.db import connection

from accounts.filtersets import AccountFilterSet
from accounts.models import Account
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts():
    return {
        "kita": AccountFactory(name="北海道ロジスティクス株式会社", external_id="C-001", corporate_number=""),
        "acme": AccountFactory(name="Acme Manufacturing", external_id="C-002", corporate_number="2010401012345"),
        "other": AccountFactory(name="Other Trading", external_id="C-003", corporate_number=""),
    }


def search(value: str) -> list[str]:
    return sorted(a.name for a in AccountFilterSet({"q": value}, queryset=Account.objects.all()).qs)


def test_part_of_the_name_in_any_case_or_an_exact_id_or_corporate_number(accounts):
    assert search("manufact") == ["Acme Manufacturing"]
    assert search("ロジスティクス") == ["北海道ロジスティクス株式会社"]
    assert search("C-003") == ["Other Trading"]
    assert search("2010401012345") == ["Acme Manufacturing"]
    assert search("  ") == sorted(a.name for a in accounts.values())
    assert search("C-00") == []  # ids match whole, not in part


def test_the_search_reads_indexes_on_postgresql(require_postgres, accounts):
    """The trigram index is on the very expression Django writes for icontains (UPPER(name::text)); with the
    corporate number indexed too, no branch of the OR needs the whole table."""
    # Unordered, with plain index scans off too: only a bitmap OR of an index per branch can avoid reading the
    # table (an index scan in (name, id) order with a filter would read the whole index instead).
    query = AccountFilterSet({"q": "manufact"}, queryset=Account.objects.all()).qs.order_by().query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "account_name_upper_trgm_idx" in plan and "account_corporate_number_idx" in plan
    assert "Seq Scan on accounts_account" not in plan
