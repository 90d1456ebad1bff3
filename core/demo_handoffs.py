"""The demo organisation's last 90 days of handoffs, made the way the product makes them (docs/rules.md §8).

`seed_demo` draws a year of dated leads, deals and touches. This module then replays the last `REPLAY_DAYS` days
through the engine: the accounts whose facts change on a day (a lead created, a deal opened or closed, an
onboarding, churn or tenure edge reached) are evaluated as of that day by the same pipeline the night runs
(engine.services.recompute_accounts), so their transitions create the handoffs the rules route. As the days pass,
the receivers decide them through the real services (handoffs.services.handoff_accept / handoff_reject, which move
ownership or return the handoff to the sender) at believable moments, and the SLA sweep raises its SLA alerts and
escalations. Each step runs with the clock set to its moment, so every timestamp the services write (decided_at,
the business hours to decision, alerts, audit entries) is the moment it happened.

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

from accounts.models import Lead, Opportunity
from core.choices import Role
from core.models import User
from engine.services import latest_completed_as_of, recompute_accounts
from handoffs.calendar import BusinessCalendar, sla_due_at
from handoffs.models import Handoff, HandoffAlert
from handoffs.services import handoff_accept, handoff_alert_acknowledge, handoff_reject, handoff_sla_sweep

REPLAY_DAYS = 91
# The replay evaluates once a week until this many days ago, then every day: the engine's cost is per step, and
# what a visitor looks at (the pending handoffs, the latest decisions) is recent.
DAILY_DAYS = 14
# The replay follows at most this many of the accounts that change (a random sample beyond): a demo inbox of a few
# hundred handoffs, made in seconds whatever the organisation's size.
MAX_FOLLOWED = 800
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
# Where the leads behind recent deals came from (the demo's leads use the first four).
LEAD_SOURCES = ("web", "seminar", "referral", "ad", "partner")
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


def changing_accounts(*, start: dt.date, end: dt.date) -> dict[dt.date, set[int]]:
    """For each day after `start` up to `end`, the accounts whose state may change that day: a lead created or
    closed, a deal opened or closed, or the day after an onboarding (183 days), churn (365 days, a contract's end)
    or tenure (730 days) edge of a won deal (docs/rules.md §3). A superset is harmless: an account that does not
    change is evaluated for nothing. One read of the leads and one of the deals."""
    days: dict[dt.date, set[int]] = defaultdict(set)

    def mark(day: dt.date | None, account_id: int) -> None:
        if day is not None and start < day <= end:
            days[day].add(account_id)

    for account_id, created_on, closed_on in Lead.objects.values_list("account_id", "created_on", "closed_on"):
        mark(created_on, account_id)
        mark(closed_on, account_id)
    deals = Opportunity.objects.values_list("account_id", "opened_on", "closed_on", "status", "contract_end")
    for account_id, opened_on, closed_on, status, contract_end in deals:
        mark(opened_on, account_id)
        mark(closed_on, account_id)
        if status == "won" and closed_on is not None:
            for days_after in (183, 184, 365, 366, 730, 731):
                mark(closed_on + dt.timedelta(days=days_after), account_id)
        if contract_end is not None:
            mark(contract_end + dt.timedelta(days=1), account_id)
    return days


class HandoffReplay:
    """The last REPLAY_DAYS days, day by day: decisions due, the SLA sweep, then the night's evaluation."""

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

    def steps(self, start: dt.date) -> list[dt.date]:
        """The replayed nights after `start`: weekly, then daily for the last DAILY_DAYS days, up to today."""
        daily_from = self.today - dt.timedelta(days=DAILY_DAYS)
        days = [start + dt.timedelta(days=k) for k in range(7, (daily_from - start).days, 7)]
        return days + [daily_from + dt.timedelta(days=k) for k in range(DAILY_DAYS + 1)]

    def followed(self, changes: dict[dt.date, set[int]]) -> set[int]:
        """The accounts the replay follows: every one that changes, or a sample of MAX_FOLLOWED."""
        changing = sorted(set().union(*changes.values()))
        return set(changing if len(changing) <= MAX_FOLLOWED else self.rng.sample(changing, MAX_FOLLOWED))

    def run(self) -> int:
        """Replay; the number of handoffs made. Nothing is replayed when a night already ran after its start."""
        start = self.today - dt.timedelta(days=REPLAY_DAYS)
        latest = latest_completed_as_of()
        if latest is not None and latest > start:
            return 0
        steps = self.steps(start)
        self.add_converted_leads(since=start - dt.timedelta(days=60))
        changes = changing_accounts(start=start, end=self.today)
        followed = self.followed(changes)
        with clock_at(self.night(start)):  # the first evaluation: each account's state as the replay begins
            recompute_accounts(account_ids=sorted(followed), as_of=start)
        previous = start
        for day in steps:
            self.decide_until(self.night(day))
            due = set().union(*(changes.get(previous + dt.timedelta(days=k), set())
                                for k in range(1, (day - previous).days + 1))) & followed
            with clock_at(self.night(day)):
                handoff_sla_sweep(now=self.night(day))
                if due:
                    recompute_accounts(account_ids=sorted(due), as_of=day)
            self.plan(Handoff.objects.filter(created_on=day).order_by("id"))
            previous = day
        now = timezone.now()
        self.decide_until(now)
        handoff_sla_sweep(now=now)
        return Handoff.objects.filter(created_on__gt=start).count()

    def add_converted_leads(self, *, since: dt.date) -> int:
        """The lead each recent deal came from, where its account has none: converted the day the deal opened, made
        a few weeks before, most of them hot. The night then sees the account become a hot lead, then negotiate
        (two handoffs: to inside sales, then to sales), and the handoffs keep a lead source for the feedback figures
        (docs/rules.md §8)."""
        with_leads = set(Lead.objects.values_list("account_id", flat=True))
        deals = (Opportunity.objects.filter(opened_on__gt=since).exclude(account_id__in=with_leads)
                 .order_by("opened_on", "id").values_list("account_id", "external_id", "opened_on"))
        rng, leads, seen = self.rng, [], set()
        for account_id, external_id, opened_on in deals:
            if account_id in seen:
                continue
            seen.add(account_id)
            leads.append(Lead(
                external_id=f"{external_id}-SRC", account_id=account_id, status=Lead.Status.CONVERTED,
                created_on=opened_on - dt.timedelta(days=rng.randint(5, 40)), closed_on=opened_on,
                score=rng.choice((None, rng.randint(40, 69), rng.randint(70, 98), rng.randint(70, 98))),
                source=rng.choices(LEAD_SOURCES, weights=(5, 3, 2, 3, 1))[0],
                contact_name=rng.choice(("田中 一郎", "Alex Kim", "山本 花子", "Jordan Lee")),
                contact_email=f"buyer@demo{account_id}.example.jp"))
        Lead.objects.bulk_create(leads, batch_size=2000)
        return len(leads)

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
