"""Reads of accounts: the export rows (docs/api.md §4)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from .importers import ACCOUNT_COLUMNS, DERIVED_ACCOUNT_COLUMNS
from .models import Account

ACCOUNT_EXPORT_HEADER: tuple[str, ...] = tuple(c.name for c in ACCOUNT_COLUMNS) + DERIVED_ACCOUNT_COLUMNS


def _value_paths() -> list[str]:
    paths = []
    for column in ACCOUNT_COLUMNS:
        paths.append(f"{column.name}__username" if column.name.startswith("owner_") else column.name)
    return paths + ["state", "state_since", "icp_fit", "icp_profile__name", "icp_tier"]


def account_export_rows(queryset: QuerySet[Account] | None = None) -> Iterator[tuple]:
    """One row per account, same names and formats as the import file, then the derived columns."""
    queryset = Account.objects.all() if queryset is None else queryset
    return queryset.order_by("external_id").values_list(*_value_paths()).iterator(chunk_size=5000)
