"""The business calendar: working hours, weekdays, Japanese public holidays and the extra closed days (company
holidays; core.ClosedDay) (docs/rules.md §8)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

import holidays

from core.models import BusinessSettings


@lru_cache(maxsize=64)
def _japanese_holidays(year: int) -> frozenset[dt.date]:
    # The holidays package includes substitute holidays (振替休日) and "citizens' holidays" (国民の休日).
    return frozenset(holidays.country_holidays("JP", years=year).keys())


SETTINGS_COLUMNS = ("time_zone", "workday_start", "workday_end", "working_weekdays", "japanese_holidays_off")


@dataclass(frozen=True)
class BusinessCalendar:
    zone: zoneinfo.ZoneInfo
    workday_start: dt.time = dt.time(9, 0)
    workday_end: dt.time = dt.time(18, 0)
    working_weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    japanese_holidays_off: bool = True
    # Extra days off (core.ClosedDay: company holidays), whatever their weekday.
    closed_days: frozenset[dt.date] = frozenset()

    @classmethod
    def load(cls) -> BusinessCalendar:
        """The settings and their closed days in one query (a LEFT JOIN: one row per closed day, or one with none).
        Loaded once per chunk of the night and once per SLA sweep."""
        rows = list(BusinessSettings.objects.filter(pk=1).values_list(*SETTINGS_COLUMNS, "closed_days__date"))
        if not rows:
            s = BusinessSettings.load()
            rows = [(*(getattr(s, name) for name in SETTINGS_COLUMNS), None)]
        zone, start, end, weekdays, holidays_off, _day = rows[0]
        return cls(
            zone=zoneinfo.ZoneInfo(zone), workday_start=start, workday_end=end,
            working_weekdays=frozenset(weekdays or (1, 2, 3, 4, 5)), japanese_holidays_off=holidays_off,
            closed_days=frozenset(row[-1] for row in rows if row[-1] is not None),
        )

    def is_business_day(self, day: dt.date) -> bool:
        if day.isoweekday() not in self.working_weekdays or day in self.closed_days:
            return False
        return not (self.japanese_holidays_off and day in _japanese_holidays(day.year))

    @property
    def hours_per_day(self) -> dt.timedelta:
        return dt.datetime.combine(dt.date.min, self.workday_end) - dt.datetime.combine(dt.date.min, self.workday_start)


def sla_due_at(*, start: dt.date, business_hours: int, calendar: BusinessCalendar) -> dt.datetime:
    """The SLA counted in business hours from `start` 00:00 business time.

    The clock starts at the first business hour on or after that midnight. A deadline that falls exactly at the
    end of a business day is that day's closing time (18:00), not the next morning.
    """
    remaining = dt.timedelta(hours=business_hours)
    day = start
    if remaining <= dt.timedelta(0):
        while not calendar.is_business_day(day):
            day += dt.timedelta(days=1)
        return dt.datetime.combine(day, calendar.workday_start, tzinfo=calendar.zone)
    per_day = calendar.hours_per_day
    if per_day <= dt.timedelta(0):
        raise ValueError("the business day has no working hours")
    for _ in range(366 * 20):
        if calendar.is_business_day(day):
            if remaining <= per_day:
                opening = dt.datetime.combine(day, calendar.workday_start)
                return (opening + remaining).replace(tzinfo=calendar.zone)
            remaining -= per_day
        day += dt.timedelta(days=1)
    raise ValueError("no business day found within 20 years")


def escalation_time(*, created_on: dt.date, sla_business_hours: int, calendar: BusinessCalendar) -> dt.datetime:
    """When a pending handoff escalates: twice its SLA, in business hours from the same start as due_at
    (docs/rules.md §8)."""
    return sla_due_at(start=created_on, business_hours=2 * sla_business_hours, calendar=calendar)


def business_hours_day_by_day(*, start: dt.datetime, end: dt.datetime, calendar: BusinessCalendar) -> float:
    """The business hours from `start` to `end` (0 when `end` is not after `start`): the working time of each
    business day that falls between them, in hours, counted one day at a time — the definition
    (business_hours_between counts the same in time independent of the span)."""
    if end <= start:
        return 0.0
    start, end = start.astimezone(calendar.zone), end.astimezone(calendar.zone)
    total = dt.timedelta(0)
    day = start.date()
    while day <= end.date():
        if calendar.is_business_day(day):
            opening = dt.datetime.combine(day, calendar.workday_start, tzinfo=calendar.zone)
            closing = dt.datetime.combine(day, calendar.workday_end, tzinfo=calendar.zone)
            low, high = max(opening, start), min(closing, end)
            if high > low:
                total += high - low
        day += dt.timedelta(days=1)
    return total.total_seconds() / 3600


def business_days(calendar: BusinessCalendar, first: dt.date, stop: dt.date) -> int:
    """The business days from `first` to the day before `stop`: whole weeks by their working weekdays, the rest
    day by day, less the holidays and closed days that fall on working weekdays (as is_business_day counts)."""
    span = (stop - first).days
    if span <= 0:
        return 0
    weeks, rest = divmod(span, 7)
    weekdays = calendar.working_weekdays
    count = weeks * len(weekdays & set(range(1, 8)))
    count += sum(1 for n in range(weeks * 7, span) if (first + dt.timedelta(days=n)).isoweekday() in weekdays)
    off = set(calendar.closed_days)
    if calendar.japanese_holidays_off:
        for year in range(first.year, stop.year + 1):
            off |= _japanese_holidays(year)
    return count - sum(1 for day in off if first <= day < stop and day.isoweekday() in weekdays)


def business_hours_between(*, start: dt.datetime, end: dt.datetime, calendar: BusinessCalendar) -> float:
    """The business hours from `start` to `end` (docs/rules.md §8: SLA left, time to decision), in time independent
    of the span: the first and last days counted day by day, the whole days between by their number (a handoff a
    year overdue costs no more than one a day overdue; fifty of them on an inbox page)."""
    if end <= start:
        return 0.0
    start, end = start.astimezone(calendar.zone), end.astimezone(calendar.zone)
    first_day, last_day = start.date(), end.date()
    if (last_day - first_day).days <= 1:
        return business_hours_day_by_day(start=start, end=end, calendar=calendar)
    after_first = dt.datetime.combine(first_day + dt.timedelta(days=1), dt.time(0), tzinfo=calendar.zone)
    last_midnight = dt.datetime.combine(last_day, dt.time(0), tzinfo=calendar.zone)
    whole_days = business_days(calendar, first_day + dt.timedelta(days=1), last_day)
    return (business_hours_day_by_day(start=start, end=after_first, calendar=calendar)
            + whole_days * calendar.hours_per_day.total_seconds() / 3600
            + business_hours_day_by_day(start=last_midnight, end=end, calendar=calendar))


@lru_cache(maxsize=16)
def _japanese_holiday_names(year: int, language: str) -> dict[dt.date, str]:
    return dict(holidays.country_holidays("JP", years=year, language=language).items())


def holidays_ahead(*, calendar: BusinessCalendar, start: dt.date, days: int, closed_names: dict[dt.date, str],
                   language: str = "en") -> list[tuple[dt.date, str, bool]]:
    """The days off other than the weekly ones from `start` for `days` days, in date order: (date, name, is a closed
    day) — Japanese public holidays when they are off (named in `language`: "ja" or English) and the closed days
    (`closed_names`). The calendar page lists them so an admin sees what the SLA clock skips."""
    code = "ja" if language.startswith("ja") else "en_US"
    ahead = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        if day in calendar.closed_days:
            ahead.append((day, closed_names.get(day, ""), True))
        elif calendar.japanese_holidays_off and day in _japanese_holidays(day.year):
            ahead.append((day, _japanese_holiday_names(day.year, code).get(day, ""), False))
    return ahead
