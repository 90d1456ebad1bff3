"""Handoff rules are written here (versioned, audited); the receiver accepts, or rejects with a reason and comment
(docs/rules.md §8)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.models import AuditEntry, User
from core.permissions import MANAGERS
from core.versioning import check_version

from .models import Handoff, HandoffRule

# What a rule's audit entries record (and what its writes may set).
RULE_FIELDS = ("order", "name", "to_state", "from_states", "from_role", "to_role", "model", "sla_business_hours",
               "active")


def _rule_values(rule: HandoffRule) -> dict:
    return {f: getattr(rule, f) for f in RULE_FIELDS}


def _rule_label(rule: HandoffRule) -> str:
    return f"Handoff rule {rule.pk} ({rule})"


def handoff_rule_create(*, actor: User | None, values: Mapping[str, Any]) -> HandoffRule:
    """A new handoff rule at version 1 (values checked by the caller's serializer or form: the model's rules)."""
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError({name: "unknown field" for name in sorted(unknown)})
    with transaction.atomic():
        rule = HandoffRule(**values)
        rule.full_clean()
        rule.save()
        AuditEntry.objects.create(actor=actor, action="handoff_rule.create", object_type="handoff_rule",
                                  object_id=str(rule.pk), after={**_rule_values(rule), "version": rule.version})
    return rule


def handoff_rule_update(
    *, rule: HandoffRule, actor: User | None, changes: Mapping[str, Any], expected_version: int | None = None,
) -> HandoffRule:
    """Change a rule; a change raises its version by one. Compare-and-set under the row lock: with
    ``expected_version`` a rule saved by someone else since is refused (core.versioning.StaleVersion), nothing
    written (docs/api.md §5, "Versions and conflicts")."""
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError({name: "unknown field" for name in sorted(unknown)})
    with transaction.atomic():
        rule = HandoffRule.objects.select_for_update().get(pk=rule.pk)
        check_version(current=rule.version, expected=expected_version, label=_rule_label(rule),
                      object_type="handoff_rule", object_id=str(rule.pk))
        before = _rule_values(rule)
        for name, value in changes.items():
            setattr(rule, name, value)
        rule.full_clean()
        after = _rule_values(rule)
        if after == before:
            return rule
        rule.version += 1
        rule.save()
        AuditEntry.objects.create(actor=actor, action="handoff_rule.update", object_type="handoff_rule",
                                  object_id=str(rule.pk), before={**before, "version": rule.version - 1},
                                  after={**after, "version": rule.version})
    return rule


def handoff_rule_delete(*, rule: HandoffRule, actor: User | None, expected_version: int | None = None) -> None:
    """Delete a rule (its handoffs keep their rule's name); checked like `handoff_rule_update`."""
    with transaction.atomic():
        rule = HandoffRule.objects.select_for_update().get(pk=rule.pk)
        check_version(current=rule.version, expected=expected_version, label=_rule_label(rule),
                      object_type="handoff_rule", object_id=str(rule.pk))
        before = {**_rule_values(rule), "version": rule.version}
        rule_id = rule.pk
        rule.delete()
        AuditEntry.objects.create(actor=actor, action="handoff_rule.delete", object_type="handoff_rule",
                                  object_id=str(rule_id), before=before, after=None)


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
