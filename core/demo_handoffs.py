"""The demo organisation's nights, and the handoffs they make, lived the way the product lives them (docs/rules.md
§5, §8, §9).

`seed_demo` draws months of dated leads, deals, contracts and touches (core.demo_history). This module then runs the
real nightly pipeline for past dates in order (engine.services.recompute_all, as `recompute_coverage --as-of`
does): weekly for the older months, every day for the last weeks (`night_dates`), each night with the clock set to
its hour. The nights classify the accounts, record their transitions, open and resolve alerts, route handoffs and
write the snapshots every dashboard reads (DailySnapshot, DepthSnapshot, BreadthSnapshot, and any other the finish
step writes). Between nights the receivers decide the handoffs through the real services
(handoffs.services.handoff_accept / handoff_reject, which move ownership or return the handoff to the sender) at
believable moments, and the SLA sweep raises its SLA alerts and escalations. Every timestamp the services write
(decided_at, the business hours to decision, alerts, audit entries, the runs) is the moment it happened.

What the receivers do is drawn from one random stream, so a seed gives the same handoffs on the same day:
better-fitting accounts are accepted more often (tier A far more than tier C), and the low tiers are rejected
mostly as `not_icp`; about one handoff in ten is never decided, and breaches its SLA and escalates.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from unittest import mock

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.utils import timezone

from core.choices import Role
from core.models import User
from engine.services import recompute_all
from handoffs.calendar import BusinessCalendar, sla_due_at
from handoffs.models import Handoff, HandoffAlert
from handoffs.services import handoff_accept, handoff_alert_acknowledge, handoff_reject, handoff_sla_sweep

# The nights run once a week until this many days ago, then every day: a night costs the same whatever changed (on
# SQLite every night is full), and what a visitor reads day by day (trends, what changed overnight, the pending
# handoffs) is recent.
DAILY_DAYS = 28
# The night's hour: each day's evaluation happens at this business time.
NIGHT = dt.time(2, 0)
# Share of the handoffs nobody decides (they breach their SLA, then escalate).
NEVER_DECIDED = 0.12
# Of the handoffs of the last KEPT_DAYS days, so many per receiving role are left pending whatever is drawn: every
# receiver's inbox has something in it.
KEPT_PENDING = 2
KEPT_DAYS = 30
# Share of the decided ones decided after their SLA.
DECIDED_LATE = 0.25
# Share decided by a manager rather than the receiver.
BY_A_MANAGER = 0.08
# Share of the returned handoffs whose sender acknowledges the returned alert (within three days).
ACKNOWLEDGED = 0.7
# Acceptance by the ICP tier the handoff kept ("" = no tier).
ACCEPTANCE = {"A": 0.85, "B": 0.62, "C": 0.30, "": 0.50}
# Rejection reasons by tier, as weights: low tiers are mostly "not our ideal customer".
REASONS = {
    "A": {"bad_timing": 4, "wrong_contact": 3, "no_budget": 3, "wrong_owner": 2, "other": 1},
    "B": {"no_budget": 4, "bad_timing": 4, "not_icp": 3, "no_need": 3, "wrong_contact": 2, "other": 1},
    "C": {"not_icp": 10, "no_need": 3, "no_budget": 3, "bad_data": 2, "bad_timing": 1},
    "": {"not_icp": 4, "bad_data": 3, "no_need": 2, "wrong_contact": 2},
}
COMMENTS = {
    "not_icp": ("従業員数が少なく、想定顧客像に合いません", "Too small for us, outside our segment", "業種が対象外です"),
    "no_budget": ("今期の予算は凍結とのこと", "FY budget frozen until April", "予算確保は来期以降"),
    "no_need": ("既に他社製品で充足している", "Happy with their current tool", "課題感がまだありません"),
    "bad_timing": ("決算期のため来月以降に再連絡", "Reorganising — call back next quarter", "担当者が異動直後"),
    "wrong_contact": ("窓口が情報システム部ではなく総務部", "Contact left the company", "決裁者に届いていません"),
    "wrong_owner": ("西日本は西チームの担当です", "This region belongs to the west team"),
    "bad_data": ("電話番号と住所が古い", "Duplicate of another account", "リードのメールが無効"),
    "other": ("親会社経由で商談中", "Handled by a partner already"),
}


@dataclass(order=True)
class Decision:
    """What someone will do about a handoff, and when: its receiver accepts or rejects it (`reason` set), or its
    sender acknowledges the returned alert (`acknowledge`)."""

    at: dt.datetime
    handoff_id: int
    accept: bool = field(default=False, compare=False)
    by_manager: bool = field(default=False, compare=False)
    reason: str = field(default="", compare=False)
    comment: str = field(default="", compare=False)
    acknowledge: bool = field(default=False, compare=False)


@contextlib.contextmanager
def clock_at(moment: dt.datetime) -> Iterator[None]:
    """Every `timezone.now()` answers `moment` meanwhile: the replayed step happens then."""
    with mock.patch.object(timezone, "now", return_value=moment):
        yield


def night_dates(*, today: dt.date, history_days: int, daily_days: int = DAILY_DAYS) -> list[dt.date]:
    """The nights to run: from `history_days` ago once a week, then every day for the last `daily_days`, today
    included."""
    first = today - dt.timedelta(days=history_days)
    daily_from = max(first, today - dt.timedelta(days=daily_days))
    weekly = [first + dt.timedelta(days=k) for k in range(0, (daily_from - first).days, 7)]
    return weekly + [daily_from + dt.timedelta(days=k) for k in range((today - daily_from).days + 1)]


class HandoffReplay:
    """The nights in order: decisions due, the SLA sweep, then the night's run; its new handoffs planned."""

    def __init__(self, *, today: dt.date, rng: random.Random) -> None:
        self.today, self.rng = today, rng
        self.calendar = BusinessCalendar.load()
        self.planned: list[Decision] = []
        self.kept_pending: dict[str, int] = defaultdict(int)
        self.by_role: dict[str, list[User]] = defaultdict(list)
        for user in User.objects.filter(is_active=True).order_by("id"):
            self.by_role[user.role].append(user)
        self.users = {user.id: user for users in self.by_role.values() for user in users}

    def night(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, NIGHT, tzinfo=self.calendar.zone)

    def run(self, nights: list[dt.date]) -> int:
        """Run the nights in order, each with the clock at its hour, and the handoffs' lives between them; then the
        SLA sweep as of now. The number of handoffs made.

        What the receivers would do after the last night is left undone, for the visitor: so a seed gives the same
        handoffs whatever the hour it is loaded at."""
        for day in nights:
            self.decide_until(self.night(day))
            with clock_at(self.night(day)):
                handoff_sla_sweep(now=self.night(day))
                recompute_all(as_of=day)
            self.plan(Handoff.objects.filter(created_on=day).order_by("id"))
        handoff_sla_sweep(now=timezone.now())
        return Handoff.objects.count()

    def plan(self, handoffs) -> None:
        """What each new handoff's receiver will do and when: within its SLA mostly, sometimes late, sometimes never;
        accepted more often the better the account fits."""
        rng = self.rng
        for handoff in handoffs:
            recent = (self.today - handoff.created_on).days <= KEPT_DAYS
            if rng.random() < NEVER_DECIDED or (recent and self.kept_pending[handoff.to_role] < KEPT_PENDING):
                self.kept_pending[handoff.to_role] += recent
                continue
            sla = handoff.sla_business_hours or 8
            if rng.random() < DECIDED_LATE:
                hours = rng.randint(sla + 1, sla * 3)
            else:
                hours = rng.randint(1, max(1, sla - 1))
            at = (sla_due_at(start=handoff.created_on, business_hours=hours, calendar=self.calendar)
                  - dt.timedelta(minutes=rng.randint(0, 50)))
            accept = rng.random() < ACCEPTANCE.get(handoff.icp_tier, ACCEPTANCE[""])
            reason = comment = ""
            if not accept:
                weights = REASONS.get(handoff.icp_tier, REASONS[""])
                reason = rng.choices(list(weights), weights=list(weights.values()))[0]
                comment = rng.choice(COMMENTS[reason])
            heapq.heappush(self.planned, Decision(at=at, handoff_id=handoff.id, accept=accept, reason=reason,
                                                  comment=comment, by_manager=rng.random() < BY_A_MANAGER))

    def decide_until(self, moment: dt.datetime) -> None:
        """Carry out, in time order, what was planned before `moment`, each at its own moment."""
        while self.planned and self.planned[0].at < moment:
            decision = heapq.heappop(self.planned)
            with clock_at(decision.at), contextlib.suppress(ValidationError, Http404):
                if decision.acknowledge:
                    self.acknowledge(decision)
                else:
                    self.decide(decision)

    def decide(self, decision: Decision) -> None:
        """The receiver's decision; a handoff superseded meanwhile (a newer transition of its account) is no longer
        pending, and is left alone."""
        handoff = Handoff.objects.filter(pk=decision.handoff_id, status=Handoff.Status.PENDING).first()
        if handoff is None:
            return
        actor = self.actor(handoff, by_manager=decision.by_manager)
        if decision.accept:
            handoff_accept(actor=actor, handoff_id=handoff.id)
            return
        handoff_reject(actor=actor, handoff_id=handoff.id, reason=decision.reason, comment=decision.comment)
        if self.rng.random() < ACKNOWLEDGED:
            heapq.heappush(self.planned, Decision(
                at=decision.at + dt.timedelta(minutes=self.rng.randint(30, 72 * 60)), handoff_id=handoff.id,
                acknowledge=True))

    def acknowledge(self, decision: Decision) -> None:
        """The sender marks the returned alert seen (it resolves), unless a newer handoff resolved it already."""
        alert = HandoffAlert.objects.filter(handoff_id=decision.handoff_id, kind=HandoffAlert.Kind.RETURNED,
                                            status=HandoffAlert.Status.OPEN).first()
        if alert is None:
            return
        actor = self.users.get(alert.recipient_id) or self.rng.choice(self.by_role[alert.recipient_role])
        handoff_alert_acknowledge(alert_id=alert.id, actor=actor)

    def actor(self, handoff: Handoff, *, by_manager: bool) -> User:
        """Who decides: the assignee (anyone of to_role when there is none), or now and then a manager."""
        if by_manager and self.by_role[Role.MANAGER]:
            return self.rng.choice(self.by_role[Role.MANAGER])
        if handoff.assignee_id in self.users:
            return self.users[handoff.assignee_id]
        receivers = self.by_role[handoff.to_role] or self.by_role[Role.MANAGER]
        return self.rng.choice(receivers)


def pending_handoffs_by_user() -> dict[str, int]:
    """Usernames with the number of pending handoffs addressed to them (for the demo logins)."""
    rows = (Handoff.objects.filter(status=Handoff.Status.PENDING, assignee__isnull=False)
            .values_list("assignee__username").annotate(n=Count("id")).order_by())
    return dict(rows)
