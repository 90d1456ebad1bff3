"""Reads of handoffs: the export's rows, the lead source the night stores on a new handoff, the feedback figures
(docs/rules.md §8)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from accounts.models import Lead
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


def handoff_lead_sources(*, account_ids: Iterable[int], as_of: dt.date) -> dict[int, str]:
    """The lead source a new handoff keeps for the feedback figures (docs/rules.md §8, product note): of the account's
    leads open as of D (created on or before D, not closed by D — as §2 counts them), the one with the highest
    score (a lead without a score below any with one), then the latest created, then the highest id; with no open
    lead, the latest lead created on or before D. Accounts without such a lead are left out.

    One query for the chunk's accounts that get a handoff (lead_account_created_idx); the choice is made here."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    rows = (Lead.objects.filter(account_id__in=ids, created_on__lte=as_of)
            .values_list("account_id", "id", "created_on", "closed_on", "score", "source"))
    best: dict[int, tuple] = {}
    for account_id, lead_id, created_on, closed_on, score, source in rows:
        is_open = closed_on is None or closed_on > as_of
        key = (is_open, is_open and score is not None, score if is_open and score is not None else -1,
               created_on, lead_id)
        if account_id not in best or key > best[account_id][0]:
            best[account_id] = (key, source)
    return {account_id: source for account_id, (_key, source) in best.items()}

