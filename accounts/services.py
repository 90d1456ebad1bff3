"""Writes of accounts made through the API: one transaction, one audit entry each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from core.models import AuditEntry, User

from .models import Account


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    """Field values as the audit's JSON column keeps them (decimals and dates as text, users by username)."""
    encoder = DjangoJSONEncoder()
    out: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, User):
            value = value.username
        elif value is not None and not isinstance(value, (str, int, float, bool, list, dict)):
            value = encoder.default(value)
        out[name] = value
    return out


def _audit(*, actor: User | None, action: str, account: Account, before: dict | None, after: dict | None) -> None:
    AuditEntry.objects.create(actor=actor, action=action, object_type="account", object_id=str(account.pk),
                              before=before, after=after)


def account_create(*, actor: User | None, fields: Mapping[str, Any]) -> Account:
    """A new account from already validated field values (the API's serializer)."""
    with transaction.atomic():
        account = Account.objects.create(**fields)
        _audit(actor=actor, action="account.create", account=account, before=None, after=_jsonable(fields))
    return account


def account_update(*, actor: User | None, account: Account, changes: Mapping[str, Any]) -> Account:
    """Set validated field values on an account; the audit entry keeps the fields that changed, before and after."""
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        changed = {name: value for name, value in changes.items() if getattr(account, name) != value}
        before = _jsonable({name: getattr(account, name) for name in changed})
        for name, value in changed.items():
            setattr(account, name, value)
        account.save()
        if changed:
            _audit(actor=actor, action="account.update", account=account, before=before, after=_jsonable(changed))
    return account


def account_delete(*, actor: User | None, account: Account) -> None:
    """Remove an account with everything recorded about it (its leads, deals, touches, coverage and alerts)."""
    with transaction.atomic():
        _audit(actor=actor, action="account.delete", account=account,
               before={"external_id": account.external_id, "name": account.name}, after=None)
        account.delete()
