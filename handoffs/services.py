"""The receiver accepts, or rejects with a reason and comment (docs/rules.md §8)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.models import AuditEntry, User
from core.permissions import MANAGERS

from .models import Handoff


def _may_decide(actor: User, handoff: Handoff) -> bool:
    if actor.role in MANAGERS:
        return True
    if handoff.assignee_id is not None:
        return handoff.assignee_id == actor.id
    return actor.role == handoff.to_role


def _decide(*, handoff: Handoff, actor: User, status: str, reason: str = "", comment: str = "") -> Handoff:
    if not _may_decide(actor, handoff):
        raise PermissionDenied("Only the receiver of the handoff or a manager may decide it.")
    with transaction.atomic():
        # Compare-and-set: only a pending handoff can be decided, once.
        updated = Handoff.objects.filter(id=handoff.id, status=Handoff.Status.PENDING).update(
            status=status, reason=reason, comment=comment, decided_at=timezone.now(), decided_by=actor
        )
        if not updated:
            raise ValidationError("This handoff is no longer pending.")
        AuditEntry.objects.create(actor=actor, action=f"handoff.{status}", object_type="handoff", object_id=str(handoff.id),
                                  after={"reason": reason, "comment": comment})
    handoff.refresh_from_db()
    return handoff


def handoff_accept(*, handoff: Handoff, actor: User) -> Handoff:
    return _decide(handoff=handoff, actor=actor, status=Handoff.Status.ACCEPTED)


def handoff_reject(*, handoff: Handoff, actor: User, reason: str, comment: str = "") -> Handoff:
    if reason not in Handoff.RejectReason.values:
        raise ValidationError({"reason": f"reason must be one of: {', '.join(Handoff.RejectReason.values)}"})
    return _decide(handoff=handoff, actor=actor, status=Handoff.Status.REJECTED, reason=reason, comment=comment)


def handoff_sla_sweep(*, now: dt.datetime | None = None) -> int:
    """Flag pending handoffs past their SLA: the receiver sees them as breached (the SLA alert)."""
    now = now or timezone.now()
    return Handoff.objects.filter(status=Handoff.Status.PENDING, due_at__lt=now, sla_breached=False).update(sla_breached=True)
