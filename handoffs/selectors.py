"""Reads of handoffs: the export's rows, the lead source the night stores on a new handoff, the feedback figures
(docs/rules.md §8)."""

from __future__ import annotations

import datetime as dt
import hashlib
import statistics
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Lead
from core.models import User
from core.timeutil import business_zone

from .calendar import BusinessCalendar, business_hours_between
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



# --- feedback figures (docs/rules.md §8, product note "Handoff feedback") ------------------------------------------

# What the figures are grouped by, in the answer's order.
FEEDBACK_DIMENSIONS = ("rule", "sender", "receiver", "icp_profile", "icp_tier", "lead_source")

# Each grouping's key in SQL, as the night kept it on the handoff ('' counts as none); the receiver is who decided
# it, or its assignee while undecided. People are grouped by username (joined only when grouped by).
_KEY_SQL = {
    "rule": "NULLIF(h.rule_name, '')",
    "sender": "s.username",
    "receiver": "r.username",
    "icp_profile": "NULLIF(h.icp_profile_name, '')",
    "icp_tier": "NULLIF(h.icp_tier, '')",
    "lead_source": "NULLIF(h.lead_source, '')",
}
_PEOPLE_JOINS = {"sender": "LEFT JOIN {users} s ON s.id = h.sender_id",
                 "receiver": "LEFT JOIN {users} r ON r.id = COALESCE(h.decided_by_id, h.assignee_id)"}
_COUNTS = ("handoffs", "accepted", "rejected", "pending", "superseded", "breached")
_S = Handoff.Status
_TABLE = Handoff._meta.db_table
# The live figures (no `now` given) are kept in Django's cache (see _cached_figures).
_CACHE_VERSION_KEY = "handoffs:feedback:version"
_CACHE_SECONDS = 3600


@dataclass
class FeedbackFigures:
    handoffs: int = 0
    accepted: int = 0
    rejected: int = 0
    pending: int = 0
    superseded: int = 0
    breached: int = 0
    rejection_reasons: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Handoff.RejectReason.values, 0))
    # Decided handoffs without their stored hours; the median as the database took it (PostgreSQL), or the hours
    # it is taken from here.
    unmeasured: int = 0
    median_hours: float | None = None
    hours_to_decision: list[float] = field(default_factory=list, repr=False)

    @property
    def decided(self) -> int:
        return self.accepted + self.rejected

    def as_json(self) -> dict:
        hours = self.hours_to_decision
        median = statistics.median(hours) if hours else self.median_hours
        return {
            "handoffs": self.handoffs, "accepted": self.accepted, "rejected": self.rejected, "pending": self.pending,
            "superseded": self.superseded, "decided": self.decided,
            "acceptance_rate": round(self.accepted / self.decided, 4) if self.decided else None,
            "median_business_hours_to_decision": round(median, 2) if median is not None else None,
            "breached": self.breached,
            "breached_share": round(self.breached / self.handoffs, 4) if self.handoffs else None,
            "rejection_reasons": dict(self.rejection_reasons),
        }


def _period_sql(dimensions: tuple[str, ...], where: str) -> str:
    """The period's handoffs read once, narrow (a MATERIALIZED CTE `p` the groupings read): each grouping's key
    k0…, status, reason, breached, decided (1/0), the stored hours, and `turns_at` — the due time of a pending
    handoff not breached yet, when the figures change by the clock alone. Breached: decided after due_at, or
    undecided and past it (flagged by the sweep, or pending past due_at the sweep has not reached yet). Parameters:
    now, now, then the period's."""
    pending = f"h.decided_at IS NULL AND h.status = '{_S.PENDING}'"
    breached = (f"(h.decided_at IS NOT NULL AND h.decided_at > h.due_at) OR (h.decided_at IS NULL AND h.sla_breached)"
                f" OR ({pending} AND h.due_at < %s)")
    decided = f"h.status IN ('{_S.ACCEPTED}', '{_S.REJECTED}') AND h.decided_at IS NOT NULL"
    columns = ", ".join(f"{_KEY_SQL[name]} AS k{index}" for index, name in enumerate(dimensions))
    joins = "".join(" " + _PEOPLE_JOINS[name].format(users=User._meta.db_table)
                    for name in dimensions if name in _PEOPLE_JOINS)
    return (f"WITH p AS MATERIALIZED (SELECT {columns}, h.status, h.reason, "
            f"CASE WHEN {breached} THEN 1 ELSE 0 END AS breached, CASE WHEN {decided} THEN 1 ELSE 0 END AS decided, "
            f"h.decision_business_hours AS hours, "
            f"CASE WHEN {pending} AND NOT h.sla_breached AND h.due_at >= %s THEN h.due_at END AS turns_at "
            f"FROM {_TABLE} h{joins} WHERE {where}) ")


def _aggregates_sql() -> str:
    """The figures of one group over `p`; the last two: `unmeasured` (decided handoffs without their stored hours:
    decided before they were kept, or written by hand) and the earliest `turns_at`."""
    return ", ".join([
        "COUNT(*)", *(f"COUNT(CASE WHEN h.status = '{status}' THEN 1 END)"
                      for status in (_S.ACCEPTED, _S.REJECTED, _S.PENDING, _S.SUPERSEDED)),
        "COUNT(CASE WHEN h.breached = 1 THEN 1 END)",
        *(f"COUNT(CASE WHEN h.status = '{_S.REJECTED}' AND h.reason = '{code}' THEN 1 END)"
          for code in Handoff.RejectReason.values),
        "COUNT(CASE WHEN h.decided = 1 AND h.hours IS NULL THEN 1 END)", "MIN(h.turns_at)"])


def _per_dimension_sql(keys: list[str], select: str, where: str) -> str:
    """A row overall and one per group of each key: (key per dimension, the others NULL…, grouping bits, select…),
    as GROUPING SETS gives them, by one GROUP BY per key over `p` joined with UNION ALL."""
    everything = (1 << len(keys)) - 1
    nulls = ["CAST(NULL AS text)"] * len(keys)  # typed for UNION
    parts = [f"SELECT {', '.join(nulls)}, {everything}, {select} FROM p h WHERE {where}"]
    for index, key in enumerate(keys):
        columns = ", ".join(key if other == index else nulls[other] for other in range(len(keys)))
        bits = everything & ~(1 << (len(keys) - 1 - index))
        parts.append(f"SELECT {columns}, {bits}, {select} FROM p h WHERE {where} GROUP BY {key}")
    return " UNION ALL ".join(parts)


def _feedback_rows(*, dimensions: tuple[str, ...], params: list, where: str) -> list[tuple]:
    """Every group's figures in one statement reading the period once, each row (key per dimension, grouping bits,
    kind, counts…, unmeasured, turns_at, median): kind 0 carries a group's counts, kind 1 its median hours.

    PostgreSQL: the counts by GROUPING SETS (hashed) over `p`; the medians percentile_cont over the decided ones'
    stored hours, one narrow GROUP BY per dimension over `p`. SQLite: one GROUP BY per dimension for the counts;
    its medians are taken in Python. (Reading the table once instead of once per part: docs/benchmarks.md.)"""
    keys = [f"h.k{index}" for index in range(len(dimensions))]
    head = _period_sql(dimensions, where)
    counts = _aggregates_sql()
    if connection.vendor != "postgresql":
        sql = head + _per_dimension_sql(keys, f"0, {counts}, NULL", "1 = 1")
    else:
        sets = ", ".join(["()", *(f"({key})" for key in keys)])
        zeros = ", ".join(["0"] * (counts.count("COUNT(")))
        sql = (head + f"(SELECT {', '.join(keys)}, GROUPING({', '.join(keys)}), 0, {counts}, "
               f"CAST(NULL AS double precision) FROM p h GROUP BY GROUPING SETS ({sets})) UNION ALL "
               + _per_dimension_sql(keys, f"1, {zeros}, CAST(NULL AS timestamptz), percentile_cont(0.5) "
                                                  f"WITHIN GROUP (ORDER BY h.hours)", "h.decided = 1"))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def handoff_feedback(*, start: dt.date, end: dt.date, now: dt.datetime | None = None,
                     calendar: BusinessCalendar | None = None, icp_profile_id: int | None = None,
                     dimensions: tuple[str, ...] = FEEDBACK_DIMENSIONS) -> dict:
    """The feedback figures of the handoffs created from `start` to `end` (inclusive) — of one ICP profile's when
    `icp_profile_id` is given: overall and by each of `dimensions` (rule, sender, receiver, ICP profile, ICP tier,
    lead source) — handoffs, accepted, rejected, acceptance rate (accepted of those decided), median business hours
    from the handoff's start (D 00:00 business time, as due_at) to its decision, breached and breached share (of
    all the handoffs), rejections by reason code.

    Set-based, a fixed number of queries whatever the number of handoffs (the created_on index): one statement for
    every group's counts and (PostgreSQL) medians over the hours kept on each decided handoff, people named by
    username in it. On SQLite, or when decided handoffs lack their stored hours, the medians are taken here instead (one
    more query). The live figures (no `now`, no `calendar` given) come from the cache while the handoffs are
    unchanged (_cached_figures: one cheap query for the change stamp)."""
    args = {"start": start, "end": end, "icp_profile_id": icp_profile_id, "dimensions": tuple(dimensions)}
    if now is None and calendar is None:
        overall, groups = _cached_figures(**args)
    else:
        overall, groups, _turns_at = _figures(**args, now=now or timezone.now(), calendar=calendar)
    return {"start": start.isoformat(), "end": end.isoformat(), "overall": overall,
            **{f"by_{name}": _listed(groups[name]) for name in dimensions}}


def _figures(*, start: dt.date, end: dt.date, icp_profile_id: int | None, dimensions: tuple[str, ...],
             now: dt.datetime, calendar: BusinessCalendar | None) -> tuple[dict, dict[str, dict], dt.datetime | None]:
    """(overall, {dimension: {key: figures}}, turns_at) as JSON; turns_at: when the figures change by
    the clock alone (a pending handoff passes its due time), None if never."""
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    params = [stamp, stamp, ops.adapt_datefield_value(start), ops.adapt_datefield_value(end)]
    where = "h.created_on >= %s AND h.created_on <= %s"
    if icp_profile_id:
        params.append(icp_profile_id)
        where += " AND h.icp_profile_id = %s"
    overall, groups = FeedbackFigures(), {name: {} for name in dimensions}
    turns_at = None
    for row, figures in _placed(_feedback_rows(dimensions=dimensions, params=params, where=where), dimensions,
                                overall, groups):
        if row[0] == 0:
            _fill(figures, row[1:-2])
            if figures is overall:
                turns_at = _as_datetime(row[-2])
        else:
            figures.median_hours = row[-1]
    if overall.decided and (overall.unmeasured or connection.vendor != "postgresql"):
        _hours_here(overall, groups, start=start, end=end, icp_profile_id=icp_profile_id, calendar=calendar)
    return (overall.as_json(), {name: {key: figures.as_json() for key, figures in by_key.items()}
                                for name, by_key in groups.items()}, turns_at)


def _as_datetime(value: Any) -> dt.datetime | None:
    """A timestamp as the database returned it (SQLite: text, UTC)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = parse_datetime(value)
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=dt.timezone.utc)


def _cached_figures(**args: Any) -> tuple[dict, dict[str, dict]]:
    """The live figures, from Django's cache when the handoffs are unchanged since: keyed by the period, profile and
    dimensions, the version bumped by the services that decide or reassign a handoff
    (handoff_feedback_changed) and a change stamp read from the table — count, highest id (a night's new handoffs,
    deleted ones), latest decision (decided in another process) — and kept until the first pending handoff in it
    passes its due time (then it counts as breached: the only way the clock changes the figures, so no date in
    the key)."""
    now = timezone.now()
    with connection.cursor() as cursor:
        # Three subqueries: each maximum one probe of its index, the count an index-only scan (one aggregate
        # over the three would read the whole table).
        cursor.execute(f"SELECT (SELECT COUNT(*) FROM {_TABLE}), (SELECT MAX(id) FROM {_TABLE}), "
                       f"(SELECT MAX(decided_at) FROM {_TABLE})")
        stamp = cursor.fetchone()
    parts = (cache.get(_CACHE_VERSION_KEY, 0), *stamp, *args.values())
    key = "handoffs:feedback:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    kept = cache.get(key)
    if kept is not None and (kept[2] is None or now <= kept[2]):
        return kept[0], kept[1]
    overall, groups, turns_at = _figures(**args, now=now, calendar=None)
    cache.set(key, (overall, groups, turns_at), _CACHE_SECONDS)
    return overall, groups


def handoff_feedback_changed() -> None:
    """Called (on commit) by what changes a handoff's figures without adding one: the live figures are read anew."""
    try:
        cache.incr(_CACHE_VERSION_KEY)
    except ValueError:
        cache.set(_CACHE_VERSION_KEY, 1, None)


def _placed(rows: list[tuple], dimensions: tuple[str, ...], overall: FeedbackFigures,
            groups: dict[str, dict[Any, FeedbackFigures]]) -> Iterator[tuple[tuple, FeedbackFigures]]:
    """Each row's values after its keys, with the figures it belongs to (overall, or its dimension's group)."""
    width = len(dimensions)
    for row in rows:
        grouped = [i for i in range(width) if not row[width] >> (width - 1 - i) & 1]
        if grouped:
            yield row[width + 1:], groups[dimensions[grouped[0]]].setdefault(row[grouped[0]], FeedbackFigures())
        else:
            yield row[width + 1:], overall


def _fill(figures: FeedbackFigures, values: tuple) -> None:
    for name, value in zip(_COUNTS, values):
        setattr(figures, name, value or 0)
    reasons = values[len(_COUNTS):len(_COUNTS) + len(Handoff.RejectReason.values)]
    figures.rejection_reasons = dict(zip(Handoff.RejectReason.values, (value or 0 for value in reasons)))
    figures.unmeasured = values[-1] or 0


def _hours_here(overall: FeedbackFigures, groups: dict[str, dict[Any, FeedbackFigures]], *, start: dt.date,
                end: dt.date, icp_profile_id: int | None, calendar: BusinessCalendar | None) -> None:
    """The medians taken in Python: every decided handoff's hours, stored or (when missing) counted now."""
    expressions = {"rule": F("rule_name"), "sender": F("sender__username"),
                   "receiver": Coalesce(F("decided_by__username"), F("assignee__username")), "icp_profile": F("icp_profile_name"),
                   "icp_tier": F("icp_tier"), "lead_source": F("lead_source")}
    decided = Handoff.objects.filter(created_on__gte=start, created_on__lte=end, decided_at__isnull=False,
                                     status__in=(_S.ACCEPTED, _S.REJECTED))
    if icp_profile_id:
        decided = decided.filter(icp_profile_id=icp_profile_id)
    names = tuple(groups)
    decided = decided.annotate(**{f"key_{name}": expressions[name] for name in names})
    for row in decided.values_list("decision_business_hours", "created_on", "decided_at",
                                   *(f"key_{name}" for name in names)):
        hours = row[0]
        if hours is None:
            calendar = calendar or BusinessCalendar.load()
            begins = dt.datetime.combine(row[1], dt.time(0), tzinfo=calendar.zone)
            hours = business_hours_between(start=begins, end=row[2], calendar=calendar)
        overall.hours_to_decision.append(hours)
        for name, key in zip(names, row[3:]):
            groups[name].setdefault(key if key != "" else None, FeedbackFigures()).hours_to_decision.append(hours)


def _listed(by_key: dict[Any, dict]) -> list[dict]:
    """One dimension's groups, by key (none last); people named by username."""
    return [{"key": key, **figures}
            for key, figures in sorted(by_key.items(), key=lambda item: (item[0] is None, item[0] or ""))]
