"""What changed overnight: a night's state transitions, coverage alerts opened and resolved, and handoffs created,
each with its reason (docs/rules.md §3, §5, §8) — for a rep's own accounts, a team's, or everyone's.

A night is a business date D (docs/rules.md §1): what the run as of D wrote, and what a logged touch re-evaluated
as of D the same business day. Every list reads only that date's rows through an index on the date (transitions
by as_of, alerts by opened_on and by resolved_on, handoffs by created_on), newest first, FIRST rows and a count
capped at COUNT_CAP: a fixed number of queries, whatever the number of accounts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import NamedTuple
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.choices import OWNER_ROLES, Role, State
from core.models import User
from core.permissions import MANAGERS
from engine.models import Alert, RecomputeRun
from handoffs.models import Handoff
from segments.models import StateThresholds, StateTransition
from segments.reasons import transition_reason

FIRST = 20  # rows of each list on the page and in the API's summary
PAGE = 100  # rows of a "show all" page
COUNT_CAP = 10_000  # a list counted further reads "10,000+"

OWNER_COLUMNS = tuple(f"owner_{role}" for role in OWNER_ROLES)

SCOPE_LABELS = {"mine": gettext_lazy("My accounts"), "team": gettext_lazy("My team"), "all": gettext_lazy("Everyone")}
LIST_LABELS = {
    "transitions": gettext_lazy("State changes"),
    "alerts_opened": gettext_lazy("Alerts opened"),
    "alerts_resolved": gettext_lazy("Alerts resolved"),
    "handoffs": gettext_lazy("Handoffs created"),
}
LISTS = tuple(LIST_LABELS)


class ChangesError(ValueError):
    """Bad input, with the field it is about."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


# --- who sees what ---------------------------------------------------------------------------------------------------


def scopes_for(user: User) -> tuple[str, ...]:
    """Reps: their own accounts, and their team's when they have one. Managers and admins: their team's (when they
    have one) and everyone's. Executives: everyone's. The first is the default."""
    if user.role in MANAGERS:
        return ("team", "all") if user.team else ("all",)
    if user.role == Role.EXECUTIVE:
        return ("all",)
    return ("mine", "team") if user.team else ("mine",)


def resolve_scope(user: User, raw: str | None) -> str:
    allowed = scopes_for(user)
    if not raw:
        return allowed[0]
    if raw not in allowed:
        raise ChangesError("scope", _("Choose one of: %(scopes)s.") % {"scopes": ", ".join(allowed)})
    return raw


def resolve_as_of(raw: str | None) -> dt.date | None:
    """The date asked for, or the latest completed run's (None when no run completed yet)."""
    if raw:
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise ChangesError("as_of", _("'%(value)s' is not a date: use YYYY-MM-DD.") % {"value": raw}) from None
    run = RecomputeRun.objects.filter(status=RecomputeRun.Status.COMPLETED).order_by("-as_of", "-id").first()
    return run.as_of if run else None


@dataclass(frozen=True)
class Scope:
    """Whose changes: a transition's account owned (for any role) by one of `people`, an alert assigned to one of
    them, a handoff received or sent by one of them (None: everyone). Alerts and handoffs are matched on their own
    columns (an alert goes to the owner for its role, docs/rules.md §5; a handoff from one owner to another, §8):
    a night's thousands of alerts are then read for a few people off an index, not joined to their accounts."""

    name: str
    people: tuple[int, ...] | None

    def accounts(self, prefix: str = "account__") -> Q:
        return _any_of([Q(**{f"{prefix}{column}_id__in": self.people}) for column in OWNER_COLUMNS])

    def transitions(self, qs: QuerySet) -> QuerySet:
        return qs if self.people is None else qs.filter(self.accounts())

    def alerts(self, qs: QuerySet) -> QuerySet:
        return qs if self.people is None else qs.filter(assignee_id__in=self.people)

    def handoffs(self, qs: QuerySet) -> QuerySet:
        if self.people is None:
            return qs
        return qs.filter(Q(assignee_id__in=self.people) | Q(sender_id__in=self.people))


def _any_of(conditions: list[Q]) -> Q:
    combined = Q()
    for condition in conditions:
        combined |= condition
    return combined


def scope_of(user: User, name: str) -> Scope:
    """"mine": the user; "team": the active members of the user's team (one query); "all": everyone."""
    if name == "all":
        return Scope(name, None)
    if name == "team":
        return Scope(name, tuple(User.objects.filter(team=user.team, is_active=True).values_list("id", flat=True)))
    return Scope(name, (user.id,))


# --- the lists -------------------------------------------------------------------------------------------------------


def _transitions(as_of: dt.date, scope: Scope) -> QuerySet:
    """Changes of state; an account's first classification (from_state empty: initial, docs/rules.md §3) is only
    counted (first_classified), or a night that imported many accounts would list nothing else."""
    qs = StateTransition.objects.filter(as_of=as_of, from_state__gt="").select_related("account")
    return scope.transitions(qs).only("id", "as_of", "from_state", "to_state", "rule", "facts", "account__id",
                                      "account__name")


def _alerts_opened(as_of: dt.date, scope: Scope) -> QuerySet:
    return scope.alerts(Alert.objects.filter(opened_on=as_of).select_related("account", "assignee"))


def _alerts_resolved(as_of: dt.date, scope: Scope) -> QuerySet:
    # The status too: the index on resolved_on holds the resolved alerts only.
    return scope.alerts(Alert.objects.filter(status=Alert.Status.RESOLVED, resolved_on=as_of)
                        .select_related("account", "assignee"))


def _handoffs(as_of: dt.date, scope: Scope) -> QuerySet:
    return scope.handoffs(Handoff.objects.filter(created_on=as_of).select_related("account", "assignee", "sender"))


QUERIES = {"transitions": _transitions, "alerts_opened": _alerts_opened, "alerts_resolved": _alerts_resolved,
           "handoffs": _handoffs}


def _person(user: User | None) -> dict | None:
    return None if user is None else {"id": user.id, "username": user.username, "name": str(user)}


def _account(obj) -> dict:
    return {"id": obj.account_id, "name": obj.account.name}


def _state_label(code: str) -> str:
    return str(State(code).label) if code in State.values else code


def _role_label(code: str) -> str:
    return str(Role(code).label) if code in Role.values else code


def transition_row(t: StateTransition, thresholds: StateThresholds | None) -> dict:
    return {"id": t.id, "as_of": t.as_of.isoformat(), "account": _account(t),
            "from_state": t.from_state, "from_state_label": _state_label(t.from_state) if t.from_state else "",
            "to_state": t.to_state, "to_state_label": _state_label(t.to_state), "initial": not t.from_state,
            "rule": t.rule, "reason": transition_reason(t.rule, t.facts, thresholds)}


def alert_reason(alert: Alert, *, resolved: bool) -> str:
    """Why the alert opened (its gap) or why it was resolved (its resolution), as a sentence (docs/rules.md §5)."""
    params = {"requirement": alert.requirement, "state": _state_label(alert.state), "gap": alert.gap,
              "counted": alert.counted}
    if not resolved:
        return _("Under-covered: requirement %(requirement)s of %(state)s is %(gap)s short (%(counted)s counted)."
                 ) % params
    if alert.resolution == Alert.Resolution.STATE_CHANGED:
        return _("State changed: the account is no longer %(state)s.") % params
    if alert.resolution == Alert.Resolution.STANDARD_CHANGED:
        return _("Standard changed: %(state)s no longer requires %(requirement)s.") % params
    return _("Covered: requirement %(requirement)s of %(state)s is met again.") % params


def alert_row(alert: Alert, *, resolved: bool) -> dict:
    return {"id": alert.id, "account": _account(alert), "state": alert.state, "state_label": _state_label(alert.state),
            "requirement": alert.requirement, "gap": alert.gap, "counted": alert.counted,
            "opened_on": alert.opened_on.isoformat(),
            "resolved_on": alert.resolved_on.isoformat() if alert.resolved_on else None,
            "resolution": alert.resolution, "resolution_label": alert.get_resolution_display() if resolved else "",
            "responsible_role": alert.responsible_role, "responsible_role_label": _role_label(alert.responsible_role),
            "assignee": _person(alert.assignee), "reason": alert_reason(alert, resolved=resolved)}


def handoff_row(h: Handoff) -> dict:
    return {"id": h.id, "account": _account(h), "created_on": h.created_on.isoformat(), "rule_name": h.rule_name,
            "from_state": h.from_state, "from_state_label": _state_label(h.from_state),
            "to_state": h.to_state, "to_state_label": _state_label(h.to_state),
            "from_role": h.from_role, "from_role_label": _role_label(h.from_role),
            "to_role": h.to_role, "to_role_label": _role_label(h.to_role),
            "status": h.status, "status_label": h.get_status_display(),
            "sender": _person(h.sender), "receiver": _person(h.assignee)}


def to_row(name: str, obj, thresholds: StateThresholds | None) -> dict:
    if name == "transitions":
        return transition_row(obj, thresholds)
    if name == "handoffs":
        return handoff_row(obj)
    return alert_row(obj, resolved=name == "alerts_resolved")


@dataclass
class ChangeList:
    name: str
    count: int
    capped: bool  # more than COUNT_CAP rows: count is COUNT_CAP
    rows: list[dict] = field(default_factory=list)
    next_before: int | None = None  # the "show all" cursor of the page after these rows

    @property
    def label(self) -> str:
        return str(LIST_LABELS[self.name])

    def as_json(self) -> dict:
        return {"count": self.count, "capped": self.capped, "next_before": self.next_before, "results": self.rows}


def _capped_count(qs: QuerySet) -> tuple[int, bool]:
    count = qs.order_by()[: COUNT_CAP + 1].count()
    return min(count, COUNT_CAP), count > COUNT_CAP


def change_list(name: str, *, as_of: dt.date, scope: Scope, thresholds: StateThresholds | None,
                size: int = FIRST, before: int | None = None, counted: bool = True) -> ChangeList:
    """`size` rows of one list, newest first (below id `before` when given), and the list's count: one query for
    the rows, and one for the count only when there are more rows than shown."""
    qs = QUERIES[name](as_of, scope)
    page_qs = qs.filter(id__lt=before) if before is not None else qs
    objects = list(page_qs.order_by("-id")[: size + 1])
    more = len(objects) > size
    objects = objects[:size]
    if before is None and not more:
        count, capped = len(objects), False
    elif counted:
        count, capped = _capped_count(qs)
    else:
        count, capped = 0, False
    return ChangeList(name=name, count=count, capped=capped, rows=[to_row(name, o, thresholds) for o in objects],
                      next_before=objects[-1].id if more and objects else None)


@dataclass
class Night:
    as_of: dt.date | None
    scope: str
    scopes: tuple[str, ...]
    lists: list[ChangeList]
    only: str | None = None
    # Accounts classified for the first time that night: (count, capped).
    first_classified: tuple[int, bool] = (0, False)

    @property
    def empty(self) -> bool:
        return all(not change.rows for change in self.lists) and not self.first_classified[0]

    def as_json(self) -> dict:
        return {"as_of": self.as_of.isoformat() if self.as_of else None, "scope": self.scope,
                "scopes": list(self.scopes), **{change.name: change.as_json() for change in self.lists},
                **({} if self.only else {"first_classified": {"count": self.first_classified[0],
                                                              "capped": self.first_classified[1]}})}


def night_changes(user: User, *, as_of: dt.date | None, scope: str, only: str | None = None,
                  before: int | None = None) -> Night:
    """The night's lists for `user` in `scope` (already checked with resolve_scope): the first FIRST rows of each, or
    with `only` one list's page of PAGE rows below id `before`."""
    scopes = scopes_for(user)
    if as_of is None:
        return Night(as_of=None, scope=scope, scopes=scopes, lists=[])
    who = scope_of(user, scope)
    names = (only,) if only else LISTS
    thresholds = StateThresholds.load() if "transitions" in names else None
    size = PAGE if only else FIRST
    lists = [change_list(name, as_of=as_of, scope=who, thresholds=thresholds, size=size, before=before)
             for name in names]
    first = (0, False) if only else _capped_count(who.transitions(StateTransition.objects.filter(as_of=as_of,
                                                                                                 from_state="")))
    return Night(as_of=as_of, scope=scope, scopes=scopes, lists=lists, only=only, first_classified=first)


def resolve_list(raw: str | None) -> str | None:
    if raw and raw not in LISTS:
        raise ChangesError("list", _("Choose one of: %(lists)s.") % {"lists": ", ".join(LISTS)})
    return raw or None


def resolve_before(raw: str | None) -> int | None:
    if not raw:
        return None
    if not raw.isdigit():
        raise ChangesError("before", _("'%(value)s' is not a row id.") % {"value": raw})
    return int(raw)


class Choices(NamedTuple):
    scope: str
    as_of: dt.date | None
    only: str | None
    before: int | None


def resolve_choices(user: User, params: Mapping[str, str]) -> Choices:
    """The query's scope, night, list and row id, as the page and the API read them; ChangesError names the first
    bad one."""
    return Choices(scope=resolve_scope(user, params.get("scope")), as_of=resolve_as_of(params.get("as_of")),
                   only=resolve_list(params.get("list")), before=resolve_before(params.get("before")))


# --- CSV -------------------------------------------------------------------------------------------------------------


def csv_header(name: str) -> list[str]:
    account = [_("Account ID"), _("Account")]
    if name == "transitions":
        return [_("Date"), *account, _("From"), _("To"), _("Reason")]
    if name == "handoffs":
        return [_("Date"), *account, _("Rule"), _("From"), _("To"), _("From role"), _("To role"), _("Status"),
                _("Sender"), _("Receiver")]
    return [_("Date"), *account, _("State"), _("Requirement"), _("Gap"), _("Responsible role"), _("Assignee"),
            _("Reason")]


def _csv_cells(name: str, row: dict, as_of: dt.date) -> list:
    account = [row["account"]["id"], row["account"]["name"]]
    if name == "transitions":
        return [as_of.isoformat(), *account, row["from_state_label"], row["to_state_label"], row["reason"]]
    if name == "handoffs":
        people = [(row[k] or {}).get("name", "") for k in ("sender", "receiver")]
        return [as_of.isoformat(), *account, row["rule_name"], row["from_state_label"], row["to_state_label"],
                row["from_role_label"], row["to_role_label"], row["status_label"], *people]
    return [as_of.isoformat(), *account, row["state_label"], row["requirement"], row["gap"],
            row["responsible_role_label"], (row["assignee"] or {}).get("name", ""), row["reason"]]


def csv_rows(user: User, *, name: str, as_of: dt.date, scope: str) -> Iterator[list]:
    """Every row of one list, page by page (PAGE rows a query), for the export."""
    who = scope_of(user, scope)
    thresholds = StateThresholds.load() if name == "transitions" else None
    before = None
    while True:
        page = change_list(name, as_of=as_of, scope=who, thresholds=thresholds, size=PAGE * 10, before=before,
                           counted=False)
        for row in page.rows:
            yield _csv_cells(name, row, as_of)
        if page.next_before is None:
            return
        before = page.next_before
