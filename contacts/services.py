"""Logging touches: the one write path for touches made in the console and through the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from core.choices import Channel, ContentStage, Role, TouchKind, TouchSource
from core.models import AuditEntry, BusinessSettings, User
from core.permissions import MANAGERS
from core.timeutil import as_business_aware, business_date
from engine.models import Alert
from engine.services import recompute_accounts

from .domain import touch_natural_key
from .models import Touch


def _validate_choice(field: str, value: str, choices, *, required: bool = False) -> dict[str, str]:
    if not value:
        return {field: _("This field is required.")} if required else {}
    if value not in choices.values:
        return {field: _("'%(value)s' is not one of: %(allowed)s.") % {"value": value, "allowed": ", ".join(choices.values)}}
    return {}


@dataclass(frozen=True)
class TouchLogged:
    """What logging one touch did: the touch (stored now, or the same one found stored) and the alerts it closed."""

    touch: Touch
    created: bool
    closed_alerts: tuple[Alert, ...] = ()

    def __iter__(self) -> Iterator:
        # `touch, created = touch_log(...)`, as callers wrote it when that pair was all it returned.
        return iter((self.touch, self.created))


@dataclass(frozen=True)
class TouchesLogged:
    """What logging a list of touches did: (touch, created) per item, in order, and the alerts they closed."""

    results: list[tuple[Touch, bool]]
    closed_alerts: tuple[Alert, ...] = ()


def _recompute_now(account_ids: Sequence[int]) -> tuple[Alert, ...]:
    """Re-evaluate the touched accounts inside the same transaction (the touch and its effect land together);
    returns the alerts of those accounts that this closed."""
    open_before = list(Alert.objects.filter(account_id__in=account_ids, status=Alert.Status.OPEN)
                       .values_list("pk", flat=True))
    recompute_accounts(account_ids=list(account_ids))
    return tuple(Alert.objects.filter(pk__in=open_before).exclude(status=Alert.Status.OPEN).order_by("pk"))


def _audit_touches(actor: User | None, touches: Sequence[Touch]) -> None:
    AuditEntry.objects.bulk_create([
        AuditEntry(actor=actor, action="touch.log", object_type="touch", object_id=str(t.pk),
                   after={"account": t.account.external_id, "kind": t.kind, "occurred_at": t.occurred_at.isoformat(),
                          "performer": t.performer.username if t.performer else None,
                          "performer_role": t.performer_role, "source": t.source,
                          "recorded_by": t.recorded_by.username if t.recorded_by else None})
        for t in touches
    ])


def may_record_for_others(user: User | None) -> bool:
    """Managers and admins record touches performed by someone else; so do imports (no user: the system)."""
    return user is None or user.role in MANAGERS


def _refusal(recorded_by: User | None, performer: User | None, performer_role: str | None) -> str | None:
    """Why `recorded_by` may not record this touch, or None (docs/permissions.md, touches): a rep records only the
    touches they performed — named as performer, or, without a performer, of their own role."""
    if may_record_for_others(recorded_by):
        return None
    if performer is not None and performer.pk != recorded_by.pk:
        return _("Only managers and admins may record a touch performed by someone else (%(performer)s).") % {
            "performer": performer.username}
    if performer is None and performer_role and performer_role != recorded_by.role:
        return _("Only managers and admins may record a touch of another role (%(role)s) without a performer.") % {
            "role": performer_role}
    return None


def _role_mismatch(performer: User | None, performer_role: str | None) -> dict[str, str]:
    """A performer's role is theirs (docs/api.md §5): a different performer_role beside a performer is refused."""
    if performer is not None and performer_role and performer_role != performer.role:
        return {"performer_role": _("The performer's role is %(role)s; leave performer_role empty or give that role.")
                % {"role": performer.role}}
    return {}


def _build_touch(
    *, account: Account, kind: str, occurred_at: dt.datetime | None, channel: str, content_stage: str, note: str,
    performer: User | None, performer_role: str | None, external_id: str | None, source: str, zone,
    recorded_by: User | None = None,
) -> Touch:
    errors: dict[str, str] = {}
    errors |= _validate_choice("kind", kind, TouchKind, required=True)
    errors |= _validate_choice("channel", channel, Channel)
    errors |= _validate_choice("content_stage", content_stage, ContentStage)
    errors |= _validate_choice("source", source, TouchSource, required=True)
    role = performer_role or (performer.role if performer else "")
    if not role:
        errors["performer_role"] = _("A performer role is required when no performer is given.")
    else:
        errors |= _validate_choice("performer_role", role, Role)
    if errors:
        raise ValidationError(errors)
    occurred_at = as_business_aware(occurred_at or timezone.now(), zone)
    external_id = (external_id or "").strip() or None
    return Touch(
        account=account, external_id=external_id, occurred_at=occurred_at, occurred_on=business_date(occurred_at, zone),
        kind=kind, channel=channel, content_stage=content_stage, note=note, performer=performer,
        performer_role=role, source=source, recorded_by=recorded_by,
        natural_key=None if external_id else touch_natural_key(
            account.id, occurred_at, kind, channel, performer.username if performer else None
        ),
    )


def _existing(touch: Touch) -> Touch | None:
    if touch.external_id:
        return Touch.objects.filter(external_id=touch.external_id).first()
    return Touch.objects.filter(natural_key=touch.natural_key).first()


def touch_log(
    *, recorded_by: User | None = None, actor: User | None = None, account: Account, kind: str,
    occurred_at: dt.datetime | None = None, channel: str = "", content_stage: str = "", note: str = "",
    performer: User | None = None, performer_role: str | None = None, external_id: str | None = None,
    source: str = TouchSource.MANUAL,
) -> TouchLogged:
    """Store one touch (once, audited) and re-evaluate its account at once, in the same transaction.

    ``recorded_by`` is who submits it (``actor``, the name earlier callers use, means the same); it is stored on the
    touch, apart from the performer, who defaults to them. A rep records only touches they performed
    (PermissionDenied otherwise, nothing stored); managers and admins record for anyone (docs/permissions.md,
    touches). The performer's role is recorded as it is now, so later role changes do not rewrite history; a
    different ``performer_role`` beside a performer is refused.
    Returns the touch, whether it was stored now, and the alerts it closed.
    """
    recorded_by = recorded_by if recorded_by is not None else actor
    zone = BusinessSettings.load().zone
    if performer is None and not performer_role:
        performer = recorded_by
    refusal = _refusal(recorded_by, performer, performer_role)
    if refusal:
        raise PermissionDenied(refusal)
    mismatch = _role_mismatch(performer, performer_role)
    if mismatch:
        raise ValidationError(mismatch)
    touch = _build_touch(
        account=account, kind=kind, occurred_at=occurred_at, channel=channel, content_stage=content_stage, note=note,
        performer=performer, performer_role=performer_role, external_id=external_id, source=source, zone=zone,
        recorded_by=recorded_by,
    )
    with transaction.atomic():
        existing = _existing(touch)
        if existing is not None:
            return TouchLogged(touch=existing, created=False)
        touch.save()
        _audit_touches(recorded_by, [touch])
        closed = _recompute_now([account.id])
    return TouchLogged(touch=touch, created=True, closed_alerts=closed)


class TouchBatchInvalid(ValidationError):
    """Some items of a touch list are invalid; `errors_by_index` maps item index -> {field: message}."""

    def __init__(self, errors_by_index: dict[int, dict[str, str]]):
        self.errors_by_index = errors_by_index
        super().__init__([f"item {i}, {field}: {msg}" for i, fields in errors_by_index.items() for field, msg in fields.items()])


class TouchBatchRefused(PermissionDenied):
    """Some items of a touch list record a touch for someone else, which the submitter may not do;
    `refused_by_index` maps item index -> reason. Nothing is stored."""

    def __init__(self, refused_by_index: dict[int, str]):
        self.refused_by_index = refused_by_index
        super().__init__("; ".join(f"item {i}: {reason}" for i, reason in refused_by_index.items()))


def _build_touches(*, actor: User | None, items: Sequence[dict], source: str) -> list[Touch]:
    """The items as unsaved touches, or TouchBatchInvalid naming every bad item and field, or (when every item is
    valid) TouchBatchRefused naming the items the submitter may not record."""
    zone = BusinessSettings.load().zone
    accounts = Account.objects.in_bulk([i.get("account_external_id") for i in items if i.get("account_external_id")],
                                       field_name="external_id")
    users = User.objects.in_bulk([i.get("performer") for i in items if i.get("performer")], field_name="username")
    errors: dict[int, dict[str, str]] = {}
    refused: dict[int, str] = {}
    touches: list[Touch] = []
    for index, item in enumerate(items):
        item_errors: dict[str, str] = {}
        account = accounts.get(item.get("account_external_id") or "")
        if account is None:
            item_errors["account_external_id"] = _("Unknown account: '%(value)s'.") % {"value": item.get("account_external_id") or ""}
        performer = None
        if item.get("performer"):
            performer = users.get(item["performer"])
            if performer is None:
                item_errors["performer"] = _("Unknown user: '%(value)s'.") % {"value": item["performer"]}
        elif not item.get("performer_role"):
            performer = actor
        if item_errors:
            errors[index] = item_errors
            continue
        refusal = _refusal(actor, performer, item.get("performer_role") or None)
        if refusal:
            refused[index] = refusal
        mismatch = _role_mismatch(performer, item.get("performer_role") or None)
        if mismatch:
            errors[index] = mismatch
            continue
        try:
            touches.append(_build_touch(
                account=account, kind=item.get("kind") or "", occurred_at=item.get("occurred_at"),
                channel=item.get("channel") or "", content_stage=item.get("content_stage") or "",
                note=item.get("note") or "", performer=performer, performer_role=item.get("performer_role") or None,
                external_id=item.get("external_id"), source=source, zone=zone, recorded_by=actor,
            ))
        except ValidationError as exc:
            errors[index] = {k: " ".join(v) for k, v in exc.message_dict.items()}
    if errors:
        raise TouchBatchInvalid(errors)
    if refused:
        raise TouchBatchRefused(refused)
    return touches


def touch_log_many(
    *, recorded_by: User | None = None, actor: User | None = None, items: Sequence[dict],
    source: str = TouchSource.API,
) -> TouchesLogged:
    """Store a list of touches all-or-nothing (each stored one audited) and re-evaluate their accounts at once;
    errors name the item index and field.

    Items carry the touches CSV fields: account_external_id, occurred_at (datetime), kind, channel, content_stage,
    performer (username), performer_role, note, external_id. ``recorded_by`` (or ``actor``, the same) is stored on
    each touch; an item recording someone else's touch by a rep refuses the whole list (TouchBatchRefused, a
    PermissionDenied; docs/permissions.md, touches).
    """
    actor = recorded_by if recorded_by is not None else actor
    touches = _build_touches(actor=actor, items=items, source=source)
    results: list[tuple[Touch, bool]] = []
    with transaction.atomic():
        by_external = {t.external_id: t for t in Touch.objects.filter(external_id__in=[t.external_id for t in touches if t.external_id])}
        by_key = {t.natural_key: t for t in Touch.objects.filter(natural_key__in=[t.natural_key for t in touches if t.natural_key])}
        seen: dict[str, Touch] = {}
        to_create: list[Touch] = []
        for touch in touches:
            key = touch.external_id or touch.natural_key
            found = by_external.get(touch.external_id) if touch.external_id else by_key.get(touch.natural_key)
            if found is not None:
                results.append((found, False))
            elif key in seen:
                results.append((seen[key], False))
            else:
                seen[key] = touch
                to_create.append(touch)
                results.append((touch, True))
        Touch.objects.bulk_create(to_create)
        closed: tuple[Alert, ...] = ()
        if to_create:
            _audit_touches(actor, to_create)
            closed = _recompute_now(sorted({t.account_id for t in to_create}))
    return TouchesLogged(results=results, closed_alerts=closed)
