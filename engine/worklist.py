"""Today's work list: which open alerts a person sees, in which order, and why.

Priority (most urgent first). The pipeline stores every part on the alert when it opens or re-evaluates it
(`engine.pipeline._alert_values`, rules in `engine.domain`), so a page of Today is one ordered scan of the index
`alert_today_priority_idx` (or `alert_queue_priority_idx` for the role's queue), whatever the number of alerts:

1. **State weight** (`state_weight`, lower first): deals and fresh customers
   are where a missed touch costs money soonest, so
   NEGOTIATION, HOT_LEAD, ONBOARDING come first, then LOYAL, ACTIVE,
   HIGH_POTENTIAL_LEAD, CHURNED, LEAD, TARGET_NO_LEAD, OUT_OF_SCOPE
   (`engine.domain.STATE_WEIGHT`).
2. **Days overdue** (more first, i.e. `fell_due_on` earlier first): today − the date the
   requirement last fell due. That date is (last counting touch + window) when
   the account had such a touch, else the day the alert opened. With
   min_count > 1 the true due date is earlier than last touch + window; the
   approximation only ever under-states the lateness, and it is the same rule
   for every row.
3. **Gap** (`gap`, more first): missing touches in the window.
4. **ICP fit** (`icp_fit`, higher first): the account's fit when last evaluated.
5. **Deal size** (`deal_amount`, larger first): the sum of the account's open
   deals (0 when none) when last evaluated.
6. Alert id (ascending) breaks the last ties, so the order is total.

Parts 4 and 5 are as of the last evaluation of the account (the nightly run, or a touch logged on it); a deal
imported during the day moves its alerts at the next run.

Queries: one for a page of items (alert + account and its supporting owner + the coverage facts of the reason line,
through subqueries evaluated only for the rows on the page), whatever the number of alerts.
"""

from __future__ import annotations

import datetime as dt
import json

from django.db.models import F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from core.choices import Role, TouchKind
from core.models import User
from core.paging import Keys, order_by_keys
from standards.models import Requirement

from . import domain
from .access import may_act_on_alert
from .models import Alert, CoverageRow

# Lower is more urgent (module docstring, point 1).
STATE_WEIGHT: dict[str, int] = domain.STATE_WEIGHT

PAGE_SIZE = 50

# What an item reads of its account: the name, and who supports it after a three-legged handoff (docs/rules.md §8).
ACCOUNT_COLUMNS = ("account__name", "account__supporting_owner__username", "account__supporting_owner__full_name")


class DaysSince(Func):
    """Whole days from a date column to a fixed date (`today − column`)."""

    output_field = IntegerField()

    def __init__(self, today: dt.date, date_expr, **extra):
        super().__init__(Value(today), date_expr, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="(CAST(%(expressions)s AS date))", arg_joiner=" AS date) - CAST(", **extra_context
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="CAST(julianday(%(expressions)s) AS integer)", arg_joiner=") - julianday(",
            **extra_context,
        )


def _coverage(field: str) -> Subquery:
    return Subquery(
        CoverageRow.objects.filter(
            account_id=OuterRef("account_id"), state=OuterRef("state"), requirement=OuterRef("requirement")
        ).values(field)[:1]
    )


def _requirement(field: str) -> Subquery:
    return Subquery(
        Requirement.objects.filter(standard__state=OuterRef("state"), code=OuterRef("requirement")).values(field)[:1]
    )


def annotate_priority(qs: QuerySet[Alert], *, today: dt.date) -> QuerySet[Alert]:
    """Add the facts the reason line needs and the days overdue (module docstring)."""
    return qs.annotate(
        req_kind=_coverage("kind"),
        req_min_count=_coverage("min_count"),
        req_window_days=_coverage("window_days"),
        last_touch_on=_coverage("last_touch_on"),
        req_performer_roles=Subquery(
            Requirement.objects.filter(standard__state=OuterRef("state"), code=OuterRef("requirement")).values("performer_roles")[:1]
        ),
        # The requirement's content plan, which the item's touch form preselects (docs/rules.md §4).
        req_content_stage=_requirement("content_stage"),
        req_channel=_requirement("channel"),
        days_overdue=DaysSince(today, Coalesce(F("fell_due_on"), F("opened_on"))),
    )


# (field, descending?) in priority order; the last key makes the order total. These are stored columns, in the
# order of the partial indexes that serve Today.
PRIORITY_KEYS: Keys = (
    ("state_weight", False),
    ("fell_due_on", False),
    ("gap", True),
    ("icp_fit", True),
    ("deal_amount", True),
    ("id", False),
)


def order_by_priority(qs: QuerySet) -> QuerySet:
    return order_by_keys(qs, PRIORITY_KEYS)


def today_alerts(*, user: User, today: dt.date, queue: bool = False) -> QuerySet[Alert]:
    """Open alerts for Today: the user's own, or (queue) the unassigned ones of the user's role.

    Snoozed alerts are hidden until their date: snoozed_until empty or ≤ today
    (docs/rules.md §5).
    """
    qs = Alert.objects.filter(status=Alert.Status.OPEN).filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=today))
    if queue:
        qs = qs.filter(assignee__isnull=True, responsible_role=user.role)
    else:
        qs = qs.filter(assignee=user)
    # Of the account, an item shows the name and its supporting owner (docs/rules.md §8) only: its other columns
    # (JSON lists among them) are not loaded.
    qs = qs.select_related("account__supporting_owner").only(
        *(f.name for f in Alert._meta.concrete_fields), *ACCOUNT_COLUMNS)
    return order_by_priority(annotate_priority(qs, today=today))


def on_today(user: User, alert: Alert, *, today: dt.date) -> bool:
    """Whether the alert is (still) an item of the user's Today: open, not snoozed past today, and the user's own,
    one the user may act on, or an unassigned one of the user's role queue."""
    return (
        alert.status == Alert.Status.OPEN
        and (alert.snoozed_until is None or alert.snoozed_until <= today)
        and (may_act_on_alert(user, alert) or (alert.assignee_id is None and alert.responsible_role == user.role))
    )


def reason_for(alert: Alert) -> str:
    """One line saying why the alert is on the list, from the facts `annotate_priority` added."""
    kind = getattr(alert, "req_kind", None) or ""
    kind_label = {TouchKind.HUMAN: _("human"), TouchKind.DIGITAL: _("digital")}.get(kind, kind)
    window = getattr(alert, "req_window_days", None)
    needed = getattr(alert, "req_min_count", None) or (alert.counted + alert.gap)
    last = getattr(alert, "last_touch_on", None)
    if isinstance(last, str):  # SQLite hands back subquery dates as text
        last = dt.date.fromisoformat(last)
    last_text = last.isoformat() if last else _("none")
    roles = getattr(alert, "req_performer_roles", None) or []
    if isinstance(roles, str):
        roles = json.loads(roles)
    if roles:  # only touches by these roles count (e.g. LOYAL's yearly executive touch)
        labels = dict(Role.choices)
        kind_label = _("%(kind)s (by %(roles)s)") % {"kind": kind_label, "roles": ", ".join(str(labels.get(r, r)) for r in roles)}
    params = {"kind": kind_label, "days": window, "needed": needed, "counted": alert.counted, "last": last_text}
    if window is None:
        return _("%(needed)s touches needed, %(counted)s logged; last touch %(last)s") % params
    if alert.counted == 0:
        return _("No %(kind)s touch in the last %(days)s days — %(needed)s needed, %(counted)s logged; last touch %(last)s") % params
    return _("Only %(counted)s %(kind)s touches in the last %(days)s days — %(needed)s needed; last touch %(last)s") % params


def alert_item(*, pk: int, today: dt.date) -> Alert | None:
    """One alert with the Today facts, for re-rendering a single item after an action."""
    return annotate_priority(Alert.objects.select_related("account__supporting_owner").filter(pk=pk),
                             today=today).first()
