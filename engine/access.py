"""The one way in to an alert: who may see it, who may act on it (docs/rules.md §5).

Pages, the API and the alert services all go through `access_alert`. Like Zulip's `access_*` helpers it answers
an alert that does not exist and one the user may not act on alike (404), so an id tells a stranger nothing.
"""

from __future__ import annotations

from django.http import Http404

from core.models import User
from core.permissions import MANAGERS

from .models import Alert


def may_act_on_alert(user: User, alert: Alert) -> bool:
    """Acknowledge and snooze: the alert's assignee or a manager (docs/rules.md §5). The rule, written once."""
    return user.role in MANAGERS or (alert.assignee_id is not None and alert.assignee_id == user.id)


def may_act_on_alerts_in_bulk(user: User) -> bool:
    """Reassigning alerts is a manager's work."""
    return user.role in MANAGERS


def access_alert(*, user: User, alert_id: int, for_action: bool = False) -> Alert:
    """The alert (with its account), or 404 when it does not exist or, `for_action`, the user may not act on it.

    Reading an alert is open to every signed-in role: the account page and the API show any account's alerts.
    """
    alert = Alert.objects.select_related("account").filter(pk=alert_id).first()
    if alert is None or (for_action and not may_act_on_alert(user, alert)):
        raise Http404("No such alert.")  # the same answer for missing and forbidden
    return alert
