from __future__ import annotations

from collections.abc import Iterator

from core.timeutil import business_zone

from .models import Handoff

HANDOFF_COLUMNS = (
    "account_external_id", "rule", "from_state", "to_state", "from_role", "to_role", "created_on", "status",
    "assignee", "due_at", "reason",
)


def handoff_export_rows() -> Iterator[tuple]:
    """Rows of export_handoffs; due_at in the business time zone."""
    zone = business_zone()
    rows = Handoff.objects.order_by("account__external_id", "created_on", "id").values_list(
        "account__external_id", "rule_name", "from_state", "to_state", "from_role", "to_role", "created_on", "status",
        "assignee__username", "due_at", "reason",
    ).iterator(chunk_size=5000)
    for row in rows:
        yield (*row[:9], row[9].astimezone(zone) if row[9] else None, row[10])
