"""Dates in the business time zone (docs/rules.md §1)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone

from .models import BusinessSettings


def business_zone() -> zoneinfo.ZoneInfo:
    return BusinessSettings.load().zone


def as_business_aware(value: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """A timestamp without an offset is business-zone local time; one with an offset is kept."""
    if value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value


def business_date(value: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.date:
    """The touch's date: its instant converted to the business zone."""
    return as_business_aware(value, zone).astimezone(zone).date()


def business_today(zone: zoneinfo.ZoneInfo | None = None) -> dt.date:
    return timezone.now().astimezone(zone or business_zone()).date()
