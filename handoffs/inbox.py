"""Reads of the handoff inbox (/handoffs/, docs/rules.md §8): the tabs, one keyset page of handoffs with the facts
that caused each, its SLA in business hours, who may decide or reassign it, and the user's open handoff alerts.

A page is a fixed number of queries whatever the number of handoffs: the page's handoffs (with account, sender,
assignee and decider joined), their transitions (one query), the alerts, the rules and — for managers — the active
users. Lists are keyset pages (core.paging): pending handoffs by due time (handoff_status_due_idx; the breached
ones, past due, come first), the others newest first (handoff_created_on_idx).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.choices import Role, State
from core.models import User
from core.paging import Keys, Page, order_by_keys, page_of
from core.permissions import MANAGERS
from segments.models import StateTransition
from segments.reasons import transition_reason

from .access import may_decide_handoff
from .calendar import BusinessCalendar, business_hours_between
from .models import Handoff, HandoffAlert, HandoffModel

PAGE_SIZE = 50
ALERTS_SHOWN = 20

# The tabs, in the order shown: (name, label, managers only).
TABS: tuple[tuple[str, Any, bool], ...] = (
    ("mine", gettext_lazy("Mine"), False),
    ("queue", gettext_lazy("My role's unassigned"), False),
    ("sent", gettext_lazy("Sent by me"), False),
    ("team", gettext_lazy("My team's"), True),
)

PENDING_KEYS: Keys = (("due_at", False), ("id", False))  # breached (past due) first: handoff_status_due_idx
NEWEST_KEYS: Keys = (("created_on", True), ("id", True))  # decided or all: handoff_created_on_idx


def inbox_tabs(user: User) -> list[tuple[str, Any]]:
    """The tabs this user has: everyone's three, and the team's for managers and admins."""
    return [(name, label) for name, label, managers_only in TABS if not managers_only or user.role in MANAGERS]


def default_tab(user: User) -> str:
    return "team" if user.role in MANAGERS else "mine"


def inbox_handoffs(*, user: User, tab: str) -> QuerySet[Handoff]:
    """The handoffs of one tab, any status (the filters narrow them):
    - mine: assigned to the user;
    - queue: unassigned, to the user's role;
    - sent: the user is the sender (read only: the sender does not decide);
    - team (managers, admins): assigned to someone of the user's team, or unassigned (a manager hands those out);
      every handoff when the user has no team.
    An unknown tab, or the team's for a rep, is the user's own."""
    handoffs = Handoff.objects.select_related("account", "assignee", "sender", "decided_by")
    if tab == "queue":
        return handoffs.filter(assignee__isnull=True, to_role=user.role)
    if tab == "sent":
        return handoffs.filter(sender=user)
    if tab == "team" and user.role in MANAGERS:
        if not user.team:
            return handoffs
        return handoffs.filter(Q(assignee__team=user.team) | Q(assignee__isnull=True))
    return handoffs.filter(assignee=user)


def keys_for(status: str | None) -> Keys:
    """Pending handoffs by due time (breached first); the others newest first."""
    return PENDING_KEYS if status == Handoff.Status.PENDING else NEWEST_KEYS


@dataclass
class SlaLeft:
    breached: bool
    hours: float | None  # business hours left, or overdue when breached; None once decided
    text: str


@dataclass
class InboxRow:
    handoff: Handoff
    facts: str
    sla: SlaLeft
    may_decide: bool
    reassign_to: list[User] = field(default_factory=list)  # managers: active users of to_role
    due_text: str = ""  # due_at in the business time zone
    decided_text: str = ""
    actions_html: str = ""  # the row's action forms, rendered by the view (handoffs.inbox_views.RowActions)
    labels: dict[str, str] = field(default_factory=dict)  # the handoff's codes as words


def row_words() -> dict[str, str]:
    """The words every row repeats, translated once per page (a translation tag per row and word was most of what
    rendering a row cost)."""
    return {
        "icp_fit": _("ICP fit"), "handoff": _("Handoff"), "sender": _("Sender"), "receiver": _("Receiver"),
        "due": _("Due"), "decided_by": _("Decided by"), "why": _("Why:"), "tier": _("tier %(tier)s"),
        "unassigned": _("unassigned (%(role)s)"),
    }


def choice_labels() -> dict[str, dict[str, str]]:
    """The words for a handoff's codes, translated once per page (get_FOO_display rebuilds its choices on every
    call: seven a row was a third of the page's time)."""
    fields = {"from_state": State, "to_state": State, "from_role": Role, "to_role": Role, "status": Handoff.Status,
              "model": HandoffModel, "reason": Handoff.RejectReason}
    words = {choices: {code: str(label) for code, label in choices.choices} for choices in set(fields.values())}
    return {**{name: words[choices] for name, choices in fields.items()}, "row": row_words()}


def _labels(handoff: Handoff, words: dict[str, dict[str, str]]) -> dict[str, str]:
    labels = {name: by_code.get(getattr(handoff, name), getattr(handoff, name))
              for name, by_code in words.items() if name != "row"}
    row = words["row"]
    labels["tier"] = row["tier"] % {"tier": handoff.icp_tier} if handoff.icp_tier else ""
    labels["receiver"] = (str(handoff.assignee) if handoff.assignee_id
                          else row["unassigned"] % {"role": labels["to_role"]})
    return labels


@dataclass
class InboxPage:
    rows: list[InboxRow]
    next_cursor: str | None


def _hours(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def sla_left(handoff: Handoff, *, now: dt.datetime, calendar: BusinessCalendar) -> SlaLeft:
    """The time left on a pending handoff's SLA in business hours (docs/rules.md §8), or how far past it; for a
    decided handoff, whether it was decided after due_at."""
    if handoff.status != Handoff.Status.PENDING:
        late = handoff.decided_at is not None and handoff.decided_at > handoff.due_at
        return SlaLeft(late, None, _("Decided after the SLA") if late else "")
    if now <= handoff.due_at:
        hours = business_hours_between(start=now, end=handoff.due_at, calendar=calendar)
        return SlaLeft(False, hours, _("%(hours)s business hours left") % {"hours": _hours(hours)})
    hours = business_hours_between(start=handoff.due_at, end=now, calendar=calendar)
    return SlaLeft(True, hours, _("SLA breached: %(hours)s business hours over") % {"hours": _hours(hours)})


def transition_facts(handoffs: list[Handoff]) -> dict[int, str]:
    """Each handoff's transition reason as a sentence (segments.reasons, as on the account page and the overnight
    changes), read from the transition the night records beside the handoff (same account, date and new state):
    one query for the page (transition_account_asof_idx)."""
    if not handoffs:
        return {}
    rows = (StateTransition.objects
            .filter(account_id__in={h.account_id for h in handoffs}, as_of__in={h.created_on for h in handoffs})
            .order_by("id").values_list("account_id", "as_of", "to_state", "rule", "facts"))
    by_key = {(account_id, as_of, to_state): transition_reason(rule, facts)
              for account_id, as_of, to_state, rule, facts in rows}
    return {h.id: by_key.get((h.account_id, h.created_on, h.to_state), "") for h in handoffs}


def candidates_by_role(users: list[User]) -> dict[str, list[User]]:
    """The active users by role: whom a pending handoff of that to_role may be given to (managers reassign)."""
    by_role: dict[str, list[User]] = {}
    for person in users:
        if person.is_active:
            by_role.setdefault(person.role, []).append(person)
    return by_role


def _local(value: dt.datetime | None, calendar: BusinessCalendar) -> str:
    return value.astimezone(calendar.zone).strftime("%Y-%m-%d %H:%M") if value else ""


def _row(handoff: Handoff, *, user: User, facts: str, now: dt.datetime, calendar: BusinessCalendar,
         reassign_to: list[User], words: dict[str, dict[str, str]]) -> InboxRow:
    pending = handoff.status == Handoff.Status.PENDING
    return InboxRow(
        handoff=handoff, facts=facts, sla=sla_left(handoff, now=now, calendar=calendar),
        may_decide=pending and may_decide_handoff(user, handoff),
        reassign_to=reassign_to if pending and user.role in MANAGERS else [],
        due_text=_local(handoff.due_at, calendar), decided_text=_local(handoff.decided_at, calendar),
        labels=_labels(handoff, words))


def inbox_page(*, user: User, handoffs: QuerySet[Handoff], status: str | None, cursor: str | None,
               candidates: dict[str, list[User]], calendar: BusinessCalendar, now: dt.datetime | None = None,
               size: int | None = None) -> InboxPage:
    """One keyset page of `handoffs` (a tab, filtered) as inbox rows."""
    now, size = now or timezone.now(), size or PAGE_SIZE
    keys = keys_for(status)
    page: Page = page_of(order_by_keys(handoffs, keys), keys=keys, cursor=cursor, size=size)
    facts = transition_facts(page.items)
    words = choice_labels()
    rows = [_row(h, user=user, facts=facts.get(h.id, ""), now=now, calendar=calendar,
                 reassign_to=candidates.get(h.to_role, []), words=words) for h in page.items]
    return InboxPage(rows=rows, next_cursor=page.next_cursor)


def inbox_row(*, user: User, handoff_id: int) -> InboxRow | None:
    """One handoff as an inbox row (an htmx answer), or None when it is gone."""
    handoff = (Handoff.objects.select_related("account", "assignee", "sender", "decided_by")
               .filter(pk=handoff_id).first())
    if handoff is None:
        return None
    candidates = (list(User.objects.filter(is_active=True, role=handoff.to_role).order_by("username"))
                  if user.role in MANAGERS and handoff.status == Handoff.Status.PENDING else [])
    return _row(handoff, user=user, facts=transition_facts([handoff]).get(handoff.id, ""), now=timezone.now(),
                calendar=BusinessCalendar.load(), reassign_to=candidates, words=choice_labels())


# --- the user's open handoff alerts --------------------------------------------------------------------------------


def my_open_handoff_alerts(user: User, *, limit: int = ALERTS_SHOWN) -> list[HandoffAlert]:
    """The user's open handoff alerts, newest first: addressed to them, or to their role's queue
    (handoff_alert_recipient_idx, handoff_alert_queue_idx). Bounded."""
    return list(HandoffAlert.objects.filter(
        Q(recipient=user) | Q(recipient__isnull=True, recipient_role=user.role), status=HandoffAlert.Status.OPEN,
    ).select_related("handoff", "handoff__account", "handoff__decided_by", "handoff__assignee")
        .order_by("-opened_at", "-id")[:limit])


def _person(user: User | None) -> str:
    return str(user) if user is not None else _("nobody")


def alert_sentence(alert: HandoffAlert) -> str:
    """A handoff alert as a sentence: "Returned by Sato: Not our ideal customer — “no budget this year”"."""
    handoff = alert.handoff
    if alert.kind == HandoffAlert.Kind.RETURNED:
        values = {"person": _person(handoff.decided_by), "reason": alert.get_reason_display(),
                  "comment": alert.comment}
        if alert.comment:
            return _("Returned by %(person)s: %(reason)s — “%(comment)s”") % values
        return _("Returned by %(person)s: %(reason)s") % values
    values = {"to": handoff.get_to_state_display(), "receiver": handoff.assignee or handoff.get_to_role_display()}
    if alert.kind == HandoffAlert.Kind.SLA:
        return _("SLA breached: the handoff (→ %(to)s) still waits for %(receiver)s") % values
    return _("Escalated: the handoff (→ %(to)s) has waited for %(receiver)s twice its SLA") % values
