"""Coverage against outcomes, kept when a night completes (docs/rules.md §10): `outcome_snapshot_write` reads the
accounts, their state history and their coverage alerts once, in account order, turns each account's history into
dated facts (dashboards.outcome_facts) and keeps the facts counted per key — cohort, kind, dates, outcome, met, and
the account's owners, team, industry, region and ICP tier as the night found them (FunnelSnapshot's flags). The
outcomes page and API only sum these rows (dashboards.outcomes).

Three ordered reads stream side by side (no account's history is held longer than its turn); the rows are then
written with COPY on PostgreSQL. Each night replaces the rows of the nights before it: the facts of the latest night
answer every period of the KEEP_DAYS days up to it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from django.db import transaction

from accounts.models import Account
from core.bulk import bulk_insert_rows
from core.choices import OWNER_ROLES
from engine.models import Alert
from segments.models import StateTransition

from .models import OutcomeSnapshot
from .outcome_facts import CUSTOMER_STATES, LEAD_STATES, NEGOTIATION, AlertSpan, Move, account_facts
from .snapshot_keys import spread, team_of_users

KEEP_DAYS = 731  # a period may start at most this many days before the night, the night included
ALERT_STATES = (NEGOTIATION, *CUSTOMER_STATES, *LEAD_STATES)
OWNER_FIELDS = tuple(f"owner_{role}_id" for role in OWNER_ROLES)
FETCH = 5000
COLUMNS = ("as_of", "cohort", "kind", "day", "since", "clear", "outcome", "met", "owner_id", "team", "industry",
           "region", "icp_tier", "first_owner", "first_in_team", "first_region", "accounts")


def window_floor(night: dt.date) -> dt.date:
    """The day before the first day a period may start on."""
    return night - dt.timedelta(days=KEEP_DAYS)


def _by_account(rows: Iterator[tuple]) -> Iterator[tuple[int, list[tuple]]]:
    """(account id, its rows) from rows ordered by account id (the first column)."""
    current, bucket = None, []
    for row in rows:
        if row[0] != current:
            if bucket:
                yield current, bucket
            current, bucket = row[0], []
        bucket.append(row)
    if bucket:
        yield current, bucket


class _Follow:
    """An ordered per-account stream that hands over one account's rows at a time, in step with the accounts."""

    def __init__(self, rows: Iterator[tuple]):
        self._groups = _by_account(rows)
        self._head = next(self._groups, None)

    def take(self, account_id: int) -> list[tuple]:
        while self._head is not None and self._head[0] < account_id:
            self._head = next(self._groups, None)
        if self._head is not None and self._head[0] == account_id:
            rows, self._head = self._head[1], next(self._groups, None)
            return rows
        return []


def counted_facts(night: dt.date) -> dict[tuple, int]:
    """Every account's facts as of `night`, counted per (fact, industry, tier, regions, five owners)."""
    floor = window_floor(night)
    accounts = (Account.objects.order_by("id")
                .values_list("id", "state", "state_since", "industry", "icp_tier", "regions", *OWNER_FIELDS)
                .iterator(chunk_size=FETCH))
    moves = _Follow(StateTransition.objects.filter(as_of__lte=night).order_by("account_id", "as_of", "id")
                    .values_list("account_id", "as_of", "from_state", "to_state").iterator(chunk_size=FETCH))
    alerts = _Follow(Alert.objects.filter(state__in=ALERT_STATES, opened_on__lte=night).order_by("account_id")
                     .values_list("account_id", "state", "opened_on", "resolved_on").iterator(chunk_size=FETCH))
    counted: dict[tuple, int] = defaultdict(int)
    for account_id, state, state_since, industry, tier, regions, *owners in accounts:
        history = [Move(*row[1:]) for row in moves.take(account_id)]
        spans = [AlertSpan(*row[1:]) for row in alerts.take(account_id)]
        facts = account_facts(history, spans, state=state, state_since=state_since, night=night, floor=floor)
        if not facts:
            continue
        places = tuple(regions) if isinstance(regions, list) else ()
        for fact in facts:
            counted[(*fact, industry or "", tier or "", places, *owners)] += 1
    return counted


def _rows(night: dt.date) -> list[tuple]:
    groups = ((*key[:-len(OWNER_FIELDS) - 1], list(key[-len(OWNER_FIELDS) - 1]), *key[-len(OWNER_FIELDS):], n)
              for key, n in counted_facts(night).items())
    # spread's keys: (fact…, owner, team, industry, region, tier, first_owner, first_in_team, first_region)
    return [(night, *key, n) for key, n in spread(groups, team_of_users()).items()]


def outcome_snapshot_write(*, as_of: dt.date) -> int:
    """Keep the night's outcome facts in place of the previous nights'; returns the rows kept."""
    rows = _rows(as_of)
    with transaction.atomic():
        OutcomeSnapshot.objects.all().delete()
        return bulk_insert_rows(OutcomeSnapshot, COLUMNS, rows)

