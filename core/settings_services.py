"""Writes of the business settings (core.BusinessSettings, one row): audited and versioned, like every edited
configuration object (core.versioning; docs/api.md §5, "Versions and conflicts"); the extra closed days of the
business calendar (core.ClosedDay), audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import AuditEntry, BusinessSettings, ClosedDay, User
from .signals import business_calendar_changed
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
        business_calendar_changed.send(sender=BusinessSettings, actor=actor)
    return row


# --- closed days (core.ClosedDay: company holidays; docs/rules.md §8) ---------------------------------------------------

def closed_day_add(*, actor: User | None, date: dt.date, name: str) -> ClosedDay:
    """Add a day the business is closed. Refused, naming the field, for a day already closed or an empty name;
    audited. Serialised on the settings row, so two admins adding the same day cannot both succeed."""
    name = (name or "").strip()
    with transaction.atomic():
        BusinessSettings.load()
        BusinessSettings.objects.select_for_update().get(pk=1)
        if ClosedDay.objects.filter(calendar_id=1, date=date).exists():
            raise ValidationError({"date": _("%(date)s is already a closed day.") % {"date": date.isoformat()}})
        day = ClosedDay(calendar_id=1, date=date, name=name)
        day.full_clean(validate_constraints=False)
        day.save()
        AuditEntry.objects.create(actor=actor, action="closed_day.add", object_type="closed_day",
                                  object_id=str(day.pk), after={"date": date.isoformat(), "name": name})
        business_calendar_changed.send(sender=ClosedDay, actor=actor)
    return day


def closed_day_remove(*, actor: User | None, closed_day_id: int) -> None:
    """Remove a closed day (the day is worked again, if its weekday is); audited. A day already removed is refused."""
    with transaction.atomic():
        day = ClosedDay.objects.select_for_update().filter(pk=closed_day_id).first()
        if day is None:
            raise ValidationError(_("This closed day was already removed."))
        before = {"date": day.date.isoformat(), "name": day.name}
        day.delete()
        AuditEntry.objects.create(actor=actor, action="closed_day.remove", object_type="closed_day",
                                  object_id=str(closed_day_id), before=before, after=None)
        business_calendar_changed.send(sender=ClosedDay, actor=actor)
