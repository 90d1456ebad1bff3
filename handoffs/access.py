"""The one way in to a handoff and to a handoff alert: who may see them, who may act on them (docs/rules.md §7, §8).

Like engine.access (and Zulip's `access_*` helpers) they answer a handoff that does not exist and one the user may
not decide alike (404), so an id tells a stranger nothing.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from core.choices import Role
from core.models import User
from core.permissions import MANAGERS

from .models import Handoff, HandoffAlert


# Who reads the feedback figures (by rule, sender, receiver, ICP tier …): the page, its API and the ICP review's block.
FEEDBACK_ROLES = (Role.ADMIN, Role.MANAGER, Role.MARKETING, Role.EXECUTIVE)


def may_decide_handoff(user: User, handoff: Handoff) -> bool:
    """Accept or reject: the assignee, anyone of `to_role` when it is unassigned, or a manager or admin (§8)."""
    if user.role in MANAGERS:
        return True
    if handoff.assignee_id is not None:
        return handoff.assignee_id == user.id
    return user.role == handoff.to_role


def visible_handoffs(user: User) -> QuerySet[Handoff]:
    """The handoffs a user sees in the inbox and the API: those addressed to them or, unassigned, to their role;
    managers see all. Exactly the ones `may_decide_handoff` lets them decide."""
    handoffs = Handoff.objects.all()
    if user.role in MANAGERS:
        return handoffs
    return handoffs.filter(Q(assignee=user) | Q(assignee__isnull=True, to_role=user.role))


def _id(value: int | str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("No such object.") from None


def access_handoff(*, user: User, handoff_id: int | str) -> Handoff:
    """The handoff (with its account), or 404 when it does not exist or the user may not decide it."""
    handoff = Handoff.objects.select_related("account").filter(pk=_id(handoff_id)).first()
    if handoff is None or not may_decide_handoff(user, handoff):
        raise Http404("No such handoff.")  # the same answer for missing and forbidden
    return handoff


def may_act_on_handoff_alert(user: User, alert: HandoffAlert) -> bool:
    """Acknowledge: its recipient, anyone of its role when it is a queue's, or a manager or admin."""
    if user.role in MANAGERS:
        return True
    if alert.recipient_id is not None:
        return alert.recipient_id == user.id
    return user.role == alert.recipient_role


def visible_handoff_alerts(user: User) -> QuerySet[HandoffAlert]:
    """A user's handoff alerts: addressed to them or to their role's queue; managers see all."""
    alerts = HandoffAlert.objects.all()
    if user.role in MANAGERS:
        return alerts
    return alerts.filter(Q(recipient=user) | Q(recipient__isnull=True, recipient_role=user.role))


def access_handoff_alert(*, user: User, alert_id: int | str) -> HandoffAlert:
    """The handoff alert, or 404 when it does not exist or the user may not act on it."""
    alert = HandoffAlert.objects.select_related("handoff").filter(pk=_id(alert_id)).first()
    if alert is None or not may_act_on_handoff_alert(user, alert):
        raise Http404("No such handoff alert.")
    return alert
