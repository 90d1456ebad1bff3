"""Handoff rules are written here (versioned, audited); the receiver accepts, or rejects with a reason and comment;
the SLA sweep raises SLA alerts and escalations (docs/rules.md §8, "Deciding a handoff").

Every decision and every sweep step is a compare-and-set on the handoff's row (`filter(id=…, status=pending)
.update(…)`, as Healthchecks' sendalerts), so two clicks, or two sweeps, cannot both act; handoff alerts are
unique per (handoff, kind, recipient) in the database besides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from core.choices import Role, owner_field_for_role
from core.models import AuditEntry, User
from core.permissions import MANAGERS
from core.versioning import StaleVersion, changes_since, check_version

from .access import access_handoff, access_handoff_alert
from .calendar import BusinessCalendar, business_hours_between, escalation_time, sla_due_at
from .models import Handoff, HandoffAlert, HandoffModel, HandoffRule
from .selectors import handoff_feedback_changed

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


def handoff_rule_move(
    *, rule: HandoffRule, actor: User | None, direction: str, expected_version: int | None = None,
    expected_neighbour: tuple[int, int] | None = None,
) -> list[HandoffRule]:
    """Move a rule one place up or down in the order (docs/rules.md §8: the first matching rule wins): it swaps its
    order with its neighbour's (when the two share an order, every rule is numbered 10, 20, 30… in the new order).
    Each rule whose order changes is raised one version and audited (`handoff_rule.move`). Compare-and-set under the rules' row
    locks: with ``expected_version`` (the rule's) and ``expected_neighbour`` ((id, version) of the rule it swaps
    with, as the editor saw it), a rule changed since, or another neighbour now, is refused with StaleVersion."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("Choose up or down.")})
    with transaction.atomic():
        rules = list(HandoffRule.objects.select_for_update().order_by("order", "id"))
        index = next((i for i, r in enumerate(rules) if r.pk == rule.pk), None)
        if index is None:
            raise HandoffRule.DoesNotExist(f"handoff rule {rule.pk}")
        moved = rules[index]
        check_version(current=moved.version, expected=expected_version, label=_rule_label(moved),
                      object_type="handoff_rule", object_id=str(moved.pk))
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(rules):
            raise ValidationError({"direction": _("This rule is already the first.") if direction == "up"
                                   else _("This rule is already the last.")})
        neighbour = rules[other]
        if expected_neighbour is not None:
            _check_neighbour(neighbour, *expected_neighbour)
        rules[index], rules[other] = neighbour, moved
        if moved.order != neighbour.order:  # the two swap their places; no other rule moves
            new_orders = {moved.pk: neighbour.order, neighbour.pk: moved.order}
        else:  # they share an order: number every rule 10, 20, 30… in the new order
            new_orders = {item.pk: 10 * position for position, item in enumerate(rules, start=1)}
        changed = []
        for item in rules:
            position = new_orders.get(item.pk, item.order)
            if item.order != position:
                before = {"order": item.order, "version": item.version}
                item.order, item.version = position, item.version + 1
                changed.append(item)
                AuditEntry.objects.create(actor=actor, action="handoff_rule.move", object_type="handoff_rule",
                                          object_id=str(item.pk), before=before,
                                          after={"order": item.order, "version": item.version})
        HandoffRule.objects.bulk_update(changed, ["order", "version"])
    return changed


def _check_neighbour(neighbour: HandoffRule, seen_id: int, seen_version: int) -> None:
    """The rule a move swaps with is still the one the editor saw there, at the version it saw."""
    if neighbour.pk != seen_id:  # another rule is there now: the order changed meanwhile
        raise StaleVersion(label=_("The order of the handoff rules"), expected=seen_version, current=seen_version + 1,
                           changes=changes_since(object_type="handoff_rule", object_id=str(seen_id),
                                                 version=seen_version))
    check_version(current=neighbour.version, expected=seen_version, label=_rule_label(neighbour),
                  object_type="handoff_rule", object_id=str(neighbour.pk))


# --- deciding a handoff (docs/rules.md §8, "Deciding a handoff") ---------------------------------------------------

# Alerts that still stand: open, or acknowledged but not resolved (an SLA or escalation alert seen).
STANDING = (HandoffAlert.Status.OPEN, HandoffAlert.Status.ACKNOWLEDGED)


def _claim_decision(*, handoff: Handoff, actor: User, status: str, reason: str = "", comment: str = "") -> dt.datetime:
    """Compare-and-set: only a pending handoff is decided, and only once (a second click, or the night superseding
    it meanwhile, finds it no longer pending)."""
    now = timezone.now()
    calendar = BusinessCalendar.load()
    # Kept for the feedback figures' medians (docs/rules.md §8, "Handoff feedback"): business hours from the start.
    hours = business_hours_between(start=dt.datetime.combine(handoff.created_on, dt.time(0), tzinfo=calendar.zone),
                                   end=now, calendar=calendar)
    updated = Handoff.objects.filter(id=handoff.id, status=Handoff.Status.PENDING).update(
        status=status, reason=reason, comment=comment, decided_at=now, decided_by=actor,
        decision_business_hours=hours)
    if not updated:
        raise ValidationError(_("This handoff is no longer pending."))
    transaction.on_commit(handoff_feedback_changed)  # the cached feedback figures are read anew
    # Its SLA and escalation alerts have nothing left to ask for.
    HandoffAlert.objects.filter(handoff=handoff, status__in=STANDING).update(
        status=HandoffAlert.Status.RESOLVED, resolved_at=now)
    return now


def _username(user_id: int | None) -> str | None:
    return User.objects.filter(pk=user_id).values_list("username", flat=True).first() if user_id else None


def _handoff_id(handoff_id: int | str | None, handoff: Handoff | None) -> int | str:
    """The handoff named by id or, as callers did before, by the object."""
    if handoff_id is None and handoff is None:
        raise TypeError("name the handoff: handoff_id=… (or handoff=…)")
    return handoff_id if handoff_id is not None else handoff.pk


def handoff_accept(*, actor: User, handoff_id: int | str | None = None, handoff: Handoff | None = None) -> Handoff:
    """Accept a pending handoff: `actor` becomes the account's owner for to_role and the account's lead role is
    to_role; under three_legged the sender — the account's owner for from_role now — becomes its supporting owner,
    under baton it has none (docs/rules.md §8). Who may: see handoffs.access (anyone else: 404)."""
    handoff = access_handoff(user=actor, handoff_id=_handoff_id(handoff_id, handoff))
    to_field, from_field = owner_field_for_role(handoff.to_role), owner_field_for_role(handoff.from_role)
    with transaction.atomic():
        # The account first, then the handoff: the night writes them in that order too.
        account = Account.objects.select_for_update().get(pk=handoff.account_id)
        _claim_decision(handoff=handoff, actor=actor, status=Handoff.Status.ACCEPTED)
        fields = [f"{to_field}_id"] if to_field else []
        fields += ["lead_role", "supporting_owner_id"]
        before = {name: getattr(account, name) for name in fields}
        sender_id = getattr(account, f"{from_field}_id") if from_field else None
        if to_field:
            setattr(account, f"{to_field}_id", actor.id)
        account.lead_role = handoff.to_role
        account.supporting_owner_id = sender_id if handoff.model == HandoffModel.THREE_LEGGED else None
        after = {name: getattr(account, name) for name in fields}
        account.save(update_fields=[name.removesuffix("_id") for name in fields] + ["updated_at"])
        AuditEntry.objects.create(
            actor=actor, action="handoff.accepted", object_type="handoff", object_id=str(handoff.id),
            before={"status": Handoff.Status.PENDING, "account": _account_audit(before)},
            after={"status": Handoff.Status.ACCEPTED, "account": _account_audit(after)})
    handoff.refresh_from_db()
    return handoff


def _account_audit(values: dict) -> dict:
    """Owner ids as usernames, for the audit entry."""
    return {name.removesuffix("_id"): _username(value) if name.endswith("_id") else value
            for name, value in values.items()}


def handoff_reject(*, actor: User, reason: str, comment: str = "", handoff_id: int | str | None = None,
                   handoff: Handoff | None = None) -> Handoff:
    """Reject a pending handoff with a reason code and a comment: ownership does not change; the account's owner for
    from_role (now) gets a returned alert carrying both — the from_role queue's when the account has none
    (docs/rules.md §8). Who may: see handoffs.access (anyone else: 404)."""
    if reason not in Handoff.RejectReason.values:
        raise ValidationError({"reason": _("Choose one of: %(reasons)s.") % {
            "reasons": ", ".join(Handoff.RejectReason.values)}})
    handoff = access_handoff(user=actor, handoff_id=_handoff_id(handoff_id, handoff))
    from_field = owner_field_for_role(handoff.from_role)
    with transaction.atomic():
        now = _claim_decision(handoff=handoff, actor=actor, status=Handoff.Status.REJECTED, reason=reason,
                              comment=comment)
        sender_id = (Account.objects.filter(pk=handoff.account_id).values_list(f"{from_field}_id", flat=True).first()
                     if from_field else None)
        HandoffAlert.objects.create(
            handoff=handoff, kind=HandoffAlert.Kind.RETURNED, recipient_id=sender_id,
            recipient_role=handoff.from_role, opened_at=now, reason=reason, comment=comment)
        AuditEntry.objects.create(
            actor=actor, action="handoff.rejected", object_type="handoff", object_id=str(handoff.id),
            before={"status": Handoff.Status.PENDING},
            after={"status": Handoff.Status.REJECTED, "reason": reason, "comment": comment,
                   "returned_to": _username(sender_id) or handoff.from_role})
    handoff.refresh_from_db()
    return handoff


def handoff_alert_acknowledge(*, alert_id: int, actor: User) -> HandoffAlert:
    """Mark a handoff alert seen: a returned alert resolves; an SLA or escalation alert stays until its handoff is
    decided or superseded (docs/rules.md §8). Its recipient, anyone of its queue's role, or a manager (else 404)."""
    alert = access_handoff_alert(user=actor, alert_id=alert_id)
    now = timezone.now()
    returned = alert.kind == HandoffAlert.Kind.RETURNED
    changes = {"status": HandoffAlert.Status.RESOLVED, "resolved_at": now} if returned else {
        "status": HandoffAlert.Status.ACKNOWLEDGED}
    with transaction.atomic():
        if not HandoffAlert.objects.filter(pk=alert.pk, status=HandoffAlert.Status.OPEN).update(
                acknowledged_at=now, **changes):
            raise ValidationError(_("Only an open alert can be acknowledged."))
        AuditEntry.objects.create(actor=actor, action="handoff_alert.acknowledge", object_type="handoff_alert",
                                  object_id=str(alert.pk), before={"status": alert.status},
                                  after={"status": changes["status"]})
    alert.refresh_from_db()
    return alert


def handoff_reassign(*, actor: User, assignee: User, handoff_id: int | str) -> Handoff:
    """Managers give a pending handoff to another person: an active user of its to_role, who then decides it
    (docs/rules.md §7, §8). Compare-and-set on the pending status: a handoff decided or superseded meanwhile is
    refused, nothing written. Anyone but a manager or admin: 404, as for a handoff that does not exist."""
    if actor.role not in MANAGERS:
        raise Http404("No such handoff.")
    handoff = access_handoff(user=actor, handoff_id=handoff_id)
    if not assignee.is_active or assignee.role != handoff.to_role:
        raise ValidationError({"assignee": _("Choose an active person of the receiving role (%(role)s).") % {
            "role": handoff.get_to_role_display()}})
    with transaction.atomic():
        if not Handoff.objects.filter(id=handoff.id, status=Handoff.Status.PENDING).update(assignee=assignee):
            raise ValidationError(_("This handoff is no longer pending."))
        transaction.on_commit(handoff_feedback_changed)  # its receiver in the cached feedback figures
        AuditEntry.objects.create(
            actor=actor, action="handoff.reassigned", object_type="handoff", object_id=str(handoff.id),
            before={"assignee": _username(handoff.assignee_id)}, after={"assignee": assignee.username})
    handoff.refresh_from_db()
    return handoff


def resolve_alerts_of_earlier_handoffs(*, account_ids: list[int], now: dt.datetime) -> int:
    """A newer handoff of these accounts is being created: their returned alerts resolve, and so do the SLA and
    escalation alerts of the handoffs it supersedes (docs/rules.md §8). One statement; called by the night
    (engine.pipeline._write_states) before it inserts the new handoffs."""
    if not account_ids:
        return 0
    return HandoffAlert.objects.filter(handoff__account_id__in=account_ids, status__in=STANDING).update(
        status=HandoffAlert.Status.RESOLVED, resolved_at=now)


# --- the SLA sweep (docs/rules.md §8, "SLA") -------------------------------------------------------------------------

# Handoffs one sweep handles per step; the rest wait for the next sweep (every 15 minutes), oldest first.
SWEEP_BATCH = 500


@dataclass
class SweepStats:
    sla_alerts: int = 0  # handoffs that raised their SLA alert in this sweep
    escalations: int = 0  # handoffs that escalated in this sweep
    filled: int = 0  # older handoffs whose escalation time was filled in

    def as_json(self) -> dict:
        return {"sla_alerts": self.sla_alerts, "escalations": self.escalations, "filled": self.filled}


def handoff_sla_sweep(*, now: dt.datetime | None = None, batch: int = SWEEP_BATCH) -> SweepStats:
    """Raise the SLA alert of each pending handoff past due_at (to its assignee, or the to_role queue when it has
    none) and escalate each one past twice its SLA (to the managers of the assignee's team; every manager when
    the assignee has no team, the team no manager, or there is no assignee). One-item steps, each a
    compare-and-set in its own transaction: a rerun, or two sweeps at once, raise nothing twice."""
    now = now or timezone.now()
    stats = SweepStats()
    calendar = BusinessCalendar.load()
    stats.filled = _fill_escalation_times(calendar=calendar, batch=batch)
    pending = Handoff.objects.filter(status=Handoff.Status.PENDING)
    for handoff_id in pending.filter(sla_breached=False, due_at__lt=now).order_by("due_at", "id").values_list(
            "id", flat=True)[:batch]:
        stats.sla_alerts += _raise_sla_alert(handoff_id=handoff_id, now=now)
    for handoff_id in pending.filter(escalated=False, escalate_at__lt=now).order_by("escalate_at", "id").values_list(
            "id", flat=True)[:batch]:
        stats.escalations += _escalate(handoff_id=handoff_id, now=now)
    return stats


def _fill_escalation_times(*, calendar: BusinessCalendar, batch: int) -> int:
    """Pending handoffs made before the escalation time was kept: their SLA is their rule's or else the business
    hours from their start to due_at; their escalation time is twice that."""
    filled = 0
    rows = (Handoff.objects.filter(status=Handoff.Status.PENDING, escalate_at__isnull=True)
            .values_list("id", "created_on", "due_at", "sla_business_hours", "rule__sla_business_hours")[:batch])
    for handoff_id, created_on, due_at, hours, rule_hours in rows:
        start = dt.datetime.combine(created_on, dt.time(0), tzinfo=calendar.zone)
        hours = hours or rule_hours or max(1, round(business_hours_between(start=start, end=due_at, calendar=calendar)))
        filled += Handoff.objects.filter(id=handoff_id, escalate_at__isnull=True).update(
            sla_business_hours=hours,
            escalate_at=escalation_time(created_on=created_on, sla_business_hours=hours, calendar=calendar))
    return filled


def pending_due_times_recount(*, calendar: BusinessCalendar | None = None) -> int:
    """Count the SLA deadline and escalation time of every pending handoff again on the calendar as it is now
    (after an edit of the business hours, weekdays, holidays or closed days; docs/rules.md §8): both are business
    hours from the handoff's start, so a day closed or opened moves them. A handoff whose SLA alert was already
    raised keeps its deadline; one already escalated keeps its escalation time. Two UPDATEs (deadline, escalation
    time) per distinct (start, SLA hours): a few hundred at most, whatever the number of handoffs. Returns the
    handoffs whose deadline was counted again."""
    calendar = calendar or BusinessCalendar.load()
    pending = Handoff.objects.filter(status=Handoff.Status.PENDING, sla_business_hours__isnull=False)
    updated = 0
    for created_on, hours in pending.values_list("created_on", "sla_business_hours").distinct().order_by():
        same = pending.filter(created_on=created_on, sla_business_hours=hours)
        updated += same.filter(sla_breached=False).update(
            due_at=sla_due_at(start=created_on, business_hours=hours, calendar=calendar))
        same.filter(escalated=False).update(
            escalate_at=escalation_time(created_on=created_on, sla_business_hours=hours, calendar=calendar))
    return updated


def _raise_sla_alert(*, handoff_id: int, now: dt.datetime) -> int:
    with transaction.atomic():
        if not Handoff.objects.filter(id=handoff_id, status=Handoff.Status.PENDING, sla_breached=False).update(
                sla_breached=True):
            return 0  # decided, superseded or raised by another sweep meanwhile
        handoff = Handoff.objects.get(id=handoff_id)
        HandoffAlert.objects.bulk_create([HandoffAlert(
            handoff=handoff, kind=HandoffAlert.Kind.SLA, recipient_id=handoff.assignee_id,
            recipient_role=handoff.to_role, opened_at=now)], ignore_conflicts=True)
        AuditEntry.objects.create(actor=None, action="handoff.sla_breached", object_type="handoff",
                                  object_id=str(handoff_id), after={"due_at": handoff.due_at.isoformat(),
                                                                    "assignee": _username(handoff.assignee_id)})
    return 1


def escalation_recipients(assignee: User | None) -> list[User]:
    """The managers of the assignee's team; every manager when the assignee has no team, the team has no manager,
    or there is no assignee (docs/rules.md §8). Active users only."""
    managers = User.objects.filter(role=Role.MANAGER, is_active=True).order_by("id")
    if assignee is not None and assignee.team:
        of_team = list(managers.filter(team=assignee.team))
        if of_team:
            return of_team
    return list(managers)


def _escalate(*, handoff_id: int, now: dt.datetime) -> int:
    with transaction.atomic():
        if not Handoff.objects.filter(id=handoff_id, status=Handoff.Status.PENDING, escalated=False).update(
                escalated=True):
            return 0
        handoff = Handoff.objects.select_related("assignee").get(id=handoff_id)
        recipients = escalation_recipients(handoff.assignee)
        HandoffAlert.objects.bulk_create([
            HandoffAlert(handoff=handoff, kind=HandoffAlert.Kind.ESCALATION, recipient=manager,
                         recipient_role=Role.MANAGER, opened_at=now)
            for manager in recipients
        ], ignore_conflicts=True)
        AuditEntry.objects.create(actor=None, action="handoff.escalated", object_type="handoff",
                                  object_id=str(handoff_id), after={
                                      "escalate_at": handoff.escalate_at.isoformat() if handoff.escalate_at else None,
                                      "to": [m.username for m in recipients]})
    return 1
