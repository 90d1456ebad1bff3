"""Actions on alerts: acknowledge, snooze, reassign (docs/rules.md §5). Who may act is engine.access's rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import AuditEntry, User
from core.timeutil import business_today

from .access import access_alert, may_act_on_alerts_in_bulk
from .models import Alert


def _audit(actor: User, action: str, alert_id: int, before: dict | None, after: dict | None) -> None:
    AuditEntry.objects.create(actor=actor, action=action, object_type="alert", object_id=str(alert_id), before=before, after=after)


def alert_acknowledge(*, alert_id: int, actor: User) -> Alert:
    """Mark an open alert seen by `actor` (its assignee or a manager; anyone else gets 404)."""
    alert = access_alert(user=actor, alert_id=alert_id, for_action=True)
    if alert.status != Alert.Status.OPEN:
        raise ValidationError(_("Only an open alert can be acknowledged."))
    with transaction.atomic():
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = actor
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        _audit(actor, "alert.acknowledge", alert.id, None, {"acknowledged_at": alert.acknowledged_at.isoformat()})
    return alert


def alert_snooze(*, alert_id: int, actor: User, until: dt.date) -> Alert:
    """Hide the alert from Today until `until`; it stays open. Its assignee or a manager; anyone else gets 404."""
    alert = access_alert(user=actor, alert_id=alert_id, for_action=True)
    if alert.status != Alert.Status.OPEN:
        raise ValidationError(_("Only an open alert can be snoozed."))
    if until <= business_today():
        raise ValidationError(_("Snooze until a date after today."))
    with transaction.atomic():
        before = {"snoozed_until": alert.snoozed_until.isoformat() if alert.snoozed_until else None}
        alert.snoozed_until = until
        alert.save(update_fields=["snoozed_until"])
        _audit(actor, "alert.snooze", alert.id, before, {"snoozed_until": until.isoformat()})
    return alert


def alert_reassign(*, alerts: Iterable[Alert], assignee: User | None, actor: User) -> int:
    """Managers move open alerts to another person (one UPDATE)."""
    if not may_act_on_alerts_in_bulk(actor):
        raise PermissionDenied(_("Only managers may reassign alerts."))
    ids = [a.id for a in alerts]
    with transaction.atomic():
        count = Alert.objects.filter(id__in=ids, status=Alert.Status.OPEN).update(assignee=assignee)
        AuditEntry.objects.create(
            actor=actor, action="alert.reassign", object_type="alert", object_id=",".join(map(str, ids))[:100],
            after={"assignee": assignee.username if assignee else None, "alerts": ids},
        )
    return count
