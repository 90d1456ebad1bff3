"""Reads of handoffs: the export's rows, the lead source the night stores on a new handoff, the feedback figures
(docs/rules.md §8)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Lead
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

# What the figures are grouped by: the name in the answer and the handoff's column (as it was when made; the
# receiver is who decided it, or its assignee while undecided).
FEEDBACK_DIMENSIONS: dict[str, Any] = {
    "rule": F("rule_name"),
    "sender": F("sender__username"),
    "receiver": Coalesce(F("decided_by__username"), F("assignee__username")),
    "icp_profile": F("icp_profile_name"),
    "icp_tier": F("icp_tier"),
    "lead_source": F("lead_source"),
}


@dataclass
class FeedbackFigures:
    handoffs: int = 0
    accepted: int = 0
    rejected: int = 0
    pending: int = 0
    superseded: int = 0
    breached: int = 0
    rejection_reasons: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Handoff.RejectReason.values, 0))
    hours_to_decision: list[float] = field(default_factory=list, repr=False)

    @property
    def decided(self) -> int:
        return self.accepted + self.rejected

    def as_json(self) -> dict:
        hours = self.hours_to_decision
        return {
            "handoffs": self.handoffs, "accepted": self.accepted, "rejected": self.rejected, "pending": self.pending,
            "superseded": self.superseded, "decided": self.decided,
            "acceptance_rate": round(self.accepted / self.decided, 4) if self.decided else None,
            "median_business_hours_to_decision": round(statistics.median(hours), 2) if hours else None,
            "breached": self.breached,
            "breached_share": round(self.breached / self.handoffs, 4) if self.handoffs else None,
            "rejection_reasons": dict(self.rejection_reasons),
        }


def _breached(now: dt.datetime) -> Q:
    """A handoff whose SLA was breached: decided after due_at, or undecided and past it (flagged by the sweep, or
    pending past due_at the sweep has not reached yet)."""
    return (Q(decided_at__isnull=False, decided_at__gt=F("due_at"))
            | Q(decided_at__isnull=True, sla_breached=True)
            | Q(decided_at__isnull=True, status=Handoff.Status.PENDING, due_at__lt=now))


def handoff_feedback(*, start: dt.date, end: dt.date, now: dt.datetime | None = None,
                     calendar: BusinessCalendar | None = None) -> dict:
    """The feedback figures of the handoffs created from `start` to `end` (inclusive): overall and by rule, sender,
    receiver, ICP profile, ICP tier and lead source — handoffs, accepted, rejected, acceptance rate (accepted of
    those decided), median business hours from the handoff's start (D 00:00 business time, as due_at) to its
    decision, breached and breached share (of all the handoffs), rejections by reason code.

    Set-based: one GROUP BY per grouping (seven) and one read of the decided handoffs' times, whose business
    hours are counted here (handoffs.calendar); never a query per handoff."""
    now = now or timezone.now()
    calendar = calendar or BusinessCalendar.load()
    handoffs = Handoff.objects.filter(created_on__gte=start, created_on__lte=end)
    counts = {
        "handoffs": Count("id"),
        "accepted": Count("id", filter=Q(status=Handoff.Status.ACCEPTED)),
        "rejected": Count("id", filter=Q(status=Handoff.Status.REJECTED)),
        "pending": Count("id", filter=Q(status=Handoff.Status.PENDING)),
        "superseded": Count("id", filter=Q(status=Handoff.Status.SUPERSEDED)),
        "breached": Count("id", filter=_breached(now)),
        **{f"reason_{code}": Count("id", filter=Q(status=Handoff.Status.REJECTED, reason=code))
           for code in Handoff.RejectReason.values},
    }
    overall = FeedbackFigures()
    groups: dict[str, dict[str | None, FeedbackFigures]] = {name: {} for name in FEEDBACK_DIMENSIONS}
    _fill(overall, handoffs.aggregate(**counts))
    for name, expression in FEEDBACK_DIMENSIONS.items():
        for row in handoffs.annotate(key=expression).values("key").annotate(**counts).order_by("key"):
            _fill(groups[name].setdefault(row["key"] or None, FeedbackFigures()), row)
    decided = handoffs.filter(status__in=(Handoff.Status.ACCEPTED, Handoff.Status.REJECTED),
                              decided_at__isnull=False).annotate(
        **{f"key_{name}": expression for name, expression in FEEDBACK_DIMENSIONS.items()})
    for row in decided.values("created_on", "decided_at", *(f"key_{name}" for name in FEEDBACK_DIMENSIONS)):
        begins = dt.datetime.combine(row["created_on"], dt.time(0), tzinfo=calendar.zone)
        hours = business_hours_between(start=begins, end=row["decided_at"], calendar=calendar)
        overall.hours_to_decision.append(hours)
        for name in FEEDBACK_DIMENSIONS:
            groups[name][row[f"key_{name}"] or None].hours_to_decision.append(hours)
    return {
        "start": start.isoformat(), "end": end.isoformat(), "overall": overall.as_json(),
        **{f"by_{name}": [{"key": key, **figures.as_json()} for key, figures in
                          sorted(by_key.items(), key=lambda item: (item[0] is None, item[0] or ""))]
           for name, by_key in groups.items()},
    }


def _fill(figures: FeedbackFigures, row: dict) -> None:
    for name in ("handoffs", "accepted", "rejected", "pending", "superseded", "breached"):
        setattr(figures, name, getattr(figures, name) + (row[name] or 0))
    for code in Handoff.RejectReason.values:
        figures.rejection_reasons[code] += row[f"reason_{code}"] or 0
