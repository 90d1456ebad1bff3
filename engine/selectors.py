"""Reads of the engine's results, for exports, the API and dashboards."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from .models import Alert, CoverageRow, RecomputeFailure, RecomputeRun

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


# --- recompute runs (the runs page) --------------------------------------------------------------------------------

# Newest first. A table of one row per night, read a page at a time: no index of its own.
RUN_KEYS = (("as_of", True), ("id", True))
FAILURES_SHOWN = 200


def run_list() -> QuerySet[RecomputeRun]:
    """Every recompute run, without its chunks' planned ids or anything else but what the list shows."""
    return RecomputeRun.objects.defer("config_fingerprint", "counts_by_state").select_related("figures")


def run_failures(run: RecomputeRun) -> list[RecomputeFailure]:
    """The first FAILURES_SHOWN accounts that failed in `run`, by account id (recompute_failure_once_per_run)."""
    return list(run.failures.order_by("account_id")[:FAILURES_SHOWN])
