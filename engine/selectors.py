"""Reads of the engine's results, for exports, the API and dashboards."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from .models import Alert, CoverageRow

COVERAGE_COLUMNS = (
    "account_external_id", "state", "requirement", "kind", "min_count", "window_days", "counted", "gap", "status",
    "last_touch_on", "due_on", "responsible_role", "assignee",
)
ALERT_COLUMNS = (
    "account_external_id", "state", "requirement", "status", "opened_on", "resolved_on", "resolution",
    "responsible_role", "assignee", "gap",
)


def coverage_export_rows() -> Iterator[tuple]:
    return CoverageRow.objects.order_by("account__external_id", "requirement").values_list(
        "account__external_id", "state", "requirement", "kind", "min_count", "window_days", "counted", "gap", "status",
        "last_touch_on", "due_on", "responsible_role", "assignee__username",
    ).iterator(chunk_size=5000)


def alert_export_rows(queryset: QuerySet[Alert] | None = None) -> Iterator[tuple]:
    """Rows of export_alerts: every alert, or those of `queryset` (the managers' page filtered by
    engine.filtersets.AlertFilterSet, as the API filters)."""
    queryset = Alert.objects.all() if queryset is None else queryset
    return queryset.order_by("account__external_id", "opened_on", "id").values_list(
        "account__external_id", "state", "requirement", "status", "opened_on", "resolved_on", "resolution",
        "responsible_role", "assignee__username", "gap",
    ).iterator(chunk_size=5000)
