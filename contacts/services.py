"""Logging touches: the one write path for touches made in the console and through the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from core.choices import Channel, ContentStage, Role, TouchKind, TouchSource
from core.models import BusinessSettings, User
from core.timeutil import as_business_aware, business_date

from .domain import touch_natural_key
from .models import Touch


def _validate_choice(field: str, value: str, choices, *, required: bool = False) -> dict[str, str]:
    if not value:
        return {field: _("This field is required.")} if required else {}
    if value not in choices.values:
        return {field: _("'%(value)s' is not one of: %(allowed)s.") % {"value": value, "allowed": ", ".join(choices.values)}}
    return {}


def _recompute_now(account_ids: Sequence[int]) -> None:
    """Re-evaluate the touched accounts inside the same transaction: the touch and its effect land together."""
    from engine.services import recompute_accounts

    recompute_accounts(account_ids=list(account_ids))


def _build_touch(
    *, account: Account, kind: str, occurred_at: dt.datetime | None, channel: str, content_stage: str, note: str,
    performer: User | None, performer_role: str | None, external_id: str | None, source: str, zone,
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
        performer_role=role, source=source,
        natural_key=None if external_id else touch_natural_key(
            account.id, occurred_at, kind, channel, performer.username if performer else None
        ),
    )


def _existing(touch: Touch) -> Touch | None:
    if touch.external_id:
        return Touch.objects.filter(external_id=touch.external_id).first()
    return Touch.objects.filter(natural_key=touch.natural_key).first()


def touch_log(
    *, actor: User, account: Account, kind: str, occurred_at: dt.datetime | None = None, channel: str = "",
    content_stage: str = "", note: str = "", performer: User | None = None, performer_role: str | None = None,
    external_id: str | None = None, source: str = TouchSource.MANUAL,
) -> tuple[Touch, bool]:
    """Store one touch (once) and re-evaluate its account at once, in the same transaction.

    The performer defaults to the actor; the performer's role is recorded as it is now, so later role
    changes do not rewrite history. Returns (touch, created).
    """
    zone = BusinessSettings.load().zone
    touch = _build_touch(
        account=account, kind=kind, occurred_at=occurred_at, channel=channel, content_stage=content_stage, note=note,
        performer=performer if performer is not None else actor, performer_role=performer_role,
        external_id=external_id, source=source, zone=zone,
    )
    with transaction.atomic():
        existing = _existing(touch)
        if existing is not None:
            return existing, False
        touch.save()
        _recompute_now([account.id])
    return touch, True


class TouchBatchInvalid(ValidationError):
    """Some items of a touch list are invalid; `errors_by_index` maps item index -> {field: message}."""

    def __init__(self, errors_by_index: dict[int, dict[str, str]]):
        self.errors_by_index = errors_by_index
        super().__init__([f"item {i}, {field}: {msg}" for i, fields in errors_by_index.items() for field, msg in fields.items()])


def touch_log_many(*, actor: User, items: Sequence[dict], source: str = TouchSource.API) -> list[tuple[Touch, bool]]:
    """Store a list of touches all-or-nothing; errors name the item index and field.

    Items carry the touches CSV fields: account_external_id, occurred_at (datetime), kind, channel, content_stage,
    performer (username), performer_role, note, external_id.
    """
    zone = BusinessSettings.load().zone
    accounts = Account.objects.in_bulk([i.get("account_external_id") for i in items if i.get("account_external_id")],
                                       field_name="external_id")
    users = User.objects.in_bulk([i.get("performer") for i in items if i.get("performer")], field_name="username")
    errors: dict[int, dict[str, str]] = {}
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
        try:
            touches.append(_build_touch(
                account=account, kind=item.get("kind") or "", occurred_at=item.get("occurred_at"),
                channel=item.get("channel") or "", content_stage=item.get("content_stage") or "",
                note=item.get("note") or "", performer=performer, performer_role=item.get("performer_role") or None,
                external_id=item.get("external_id"), source=source, zone=zone,
            ))
        except ValidationError as exc:
            errors[index] = {k: " ".join(v) for k, v in exc.message_dict.items()}
    if errors:
        raise TouchBatchInvalid(errors)
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
        if to_create:
            _recompute_now(sorted({t.account_id for t in to_create}))
    return results
