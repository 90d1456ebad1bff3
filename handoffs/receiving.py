"""Handoffs where their receivers work: the "Handoffs for you" box at the top of Today and, on the account page,
the pending handoff and the account's handoff history (docs/rules.md §8).

Bounded reads, a fixed number of queries whatever the number of handoffs: Today adds two (the pending handoffs
addressed to the user, the user's open handoff alerts), the account page one (its latest handoffs, the pending one
among them) and both, only when a handoff is pending, the business calendar for its SLA. The SLA and the alerts are
worded as in the inbox (handoffs.inbox), so the two pages say the same thing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from core.models import User

from .access import may_decide_handoff
from .calendar import BusinessCalendar
from .inbox import SlaLeft, alert_sentence, sla_left
from .models import Handoff, HandoffAlert, HandoffModel

# Today shows at most this many pending handoffs and as many alerts; the rest are in the inbox.
TODAY_SHOWN = 10
# The account page's handoff history: the latest handoffs, newest first.
HISTORY_SHOWN = 50


@dataclass
class ReceivedHandoff:
    """A pending handoff as its receiver sees it: its SLA, whether this user may decide it, and — three-legged —
    who stays on as support once it is accepted."""

    handoff: Handoff
    sla: SlaLeft
    may_decide: bool
    three_legged: bool
    supporter: str  # the sender (or, without one, the sending role): the supporting owner after an accept


@dataclass
class ReceivedAlert:
    alert: HandoffAlert
    sentence: str


@dataclass
class TodayHandoffs:
    handoffs: list[ReceivedHandoff]
    alerts: list[ReceivedAlert]
    more: bool  # more pending handoffs or alerts than shown: the inbox has them all

    @property
    def empty(self) -> bool:
        return not self.handoffs and not self.alerts


def received(handoff: Handoff, *, user: User, now: dt.datetime, calendar: BusinessCalendar) -> ReceivedHandoff:
    three_legged = handoff.model == HandoffModel.THREE_LEGGED
    supporter = str(handoff.sender) if handoff.sender_id else str(handoff.get_from_role_display())
    return ReceivedHandoff(handoff=handoff, sla=sla_left(handoff, now=now, calendar=calendar),
                           may_decide=handoff.status == Handoff.Status.PENDING and may_decide_handoff(user, handoff),
                           three_legged=three_legged, supporter=supporter)


# Both lists below pick their ids in a bounded subquery, then join: the joins are made for the rows shown only, not
# for every row matched before the sort and the limit (PostgreSQL joins first when the order is not an index's).


def pending_for_receiver(user: User, *, limit: int = TODAY_SHOWN + 1) -> list[Handoff]:
    """The pending handoffs addressed to the user — assigned to them, or unassigned to their role (the receivers
    of handoffs.access; a manager's Today holds those addressed to the manager, the inbox every one) — by due
    time, so the breached ones (past due) come first. One query, bounded (handoff_status_due_idx)."""
    order = ("due_at", "id")
    ids = (Handoff.objects.filter(status=Handoff.Status.PENDING)
           .filter(Q(assignee=user) | Q(assignee__isnull=True, to_role=user.role))
           .order_by(*order).values("id")[:limit])
    return list(Handoff.objects.select_related("account", "sender", "assignee").filter(id__in=ids).order_by(*order))


def open_alerts_for_recipient(user: User, *, limit: int = TODAY_SHOWN + 1) -> list[HandoffAlert]:
    """The user's open handoff alerts, newest first: addressed to them, or to their role's queue (as the inbox
    lists them: handoff_alert_recipient_idx, handoff_alert_queue_idx). One query, bounded."""
    order = ("-opened_at", "-id")
    ids = (HandoffAlert.objects.filter(Q(recipient=user) | Q(recipient__isnull=True, recipient_role=user.role),
                                       status=HandoffAlert.Status.OPEN)
           .order_by(*order).values("id")[:limit])
    return list(HandoffAlert.objects.select_related("handoff__account", "handoff__decided_by", "handoff__assignee")
                .filter(id__in=ids).order_by(*order))


def today_handoffs(*, user: User, calendar: BusinessCalendar | None = None, now: dt.datetime | None = None,
                   shown: int = TODAY_SHOWN) -> TodayHandoffs:
    """Today's "Handoffs for you": at most `shown` pending handoffs and `shown` open handoff alerts. Two queries,
    and the business calendar (one more) only when a handoff is pending, for its SLA."""
    now = now or timezone.now()
    handoffs = pending_for_receiver(user, limit=shown + 1)
    alerts = open_alerts_for_recipient(user, limit=shown + 1)
    if handoffs and calendar is None:
        calendar = BusinessCalendar.load()
    return TodayHandoffs(
        handoffs=[received(h, user=user, now=now, calendar=calendar) for h in handoffs[:shown]],
        alerts=[ReceivedAlert(alert=a, sentence=alert_sentence(a)) for a in alerts[:shown]],
        more=len(handoffs) > shown or len(alerts) > shown,
    )


@dataclass
class AccountHandoffs:
    pending: ReceivedHandoff | None  # the account's pending handoff (a newer one supersedes it: at most one)
    history: list[Handoff]  # the latest handoffs, newest first (the pending one among them)
    more: bool


def account_handoffs(*, user: User, account_id: int, shown: int = HISTORY_SHOWN,
                     now: dt.datetime | None = None) -> AccountHandoffs:
    """The account page's handoffs: one query for the latest `shown`, newest first, with the people named; the
    business calendar is read (one query) only when one of them is pending, for its SLA."""
    rows = list(Handoff.objects.filter(account_id=account_id)
                .select_related("sender", "assignee", "decided_by").order_by("-created_on", "-id")[:shown + 1])
    history = rows[:shown]
    pending_handoff = next((h for h in history if h.status == Handoff.Status.PENDING), None)
    pending = None
    if pending_handoff is not None:
        pending = received(pending_handoff, user=user, now=now or timezone.now(), calendar=BusinessCalendar.load())
    return AccountHandoffs(pending=pending, history=history, more=len(rows) > shown)
