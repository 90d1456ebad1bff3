"""Writes of the business settings (core.BusinessSettings, one row): audited and versioned, like every edited
configuration object (core.versioning; docs/api.md §5, "Versions and conflicts")."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import AuditEntry, BusinessSettings, User
from .versioning import check_version

SETTINGS_FIELDS = ("time_zone", "workday_start", "workday_end", "working_weekdays", "japanese_holidays_off")


def _snapshot(row: BusinessSettings) -> dict:
    value = {f: getattr(row, f) for f in SETTINGS_FIELDS}
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in value.items()}


def business_settings_update(
    *, actor: User | None, changes: Mapping[str, object], expected_version: int | None = None,
) -> BusinessSettings:
    """Change the business settings. Compare-and-set under the row lock: with ``expected_version`` (what the
    editor read) a row saved by someone else since is refused with StaleVersion and nothing is written; a change
    raises the version by one (BusinessSettings.save) and is audited."""
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationError({name: "unknown setting" for name in sorted(unknown)})
    with transaction.atomic():
        BusinessSettings.load()
        row = BusinessSettings.objects.select_for_update().get(pk=1)
        check_version(current=row.version, expected=expected_version, label=_("Business settings"),
                      object_type="business_settings", object_id="1")
        before = _snapshot(row)
        for name, value in changes.items():
            setattr(row, name, value)
        row.full_clean()
        after = _snapshot(row)
        if after == before:
            return row
        row.save()
        AuditEntry.objects.create(actor=actor, action="business_settings.update", object_type="business_settings",
                                  object_id="1", before={**before, "version": row.version - 1},
                                  after={**after, "version": row.version})
    return row
