"""Coverage trends (docs/rules.md §9): the figures of each completed night in a period, read from what the nights
kept — dashboards.DailySnapshot (compliance per state, breadth) and engine.RecomputeRun (alerts opened and
resolved) — never counted again from accounts or touches. Two queries, whatever the period.

A night is a date with a completed run; when several runs completed for one date, the latest (highest id) counts;
running and failed runs are not nights.

With a filter (dashboards.filtering; `filtered_trends`), the nights' kept depth and breadth rows answer instead of
the DailySnapshot, as on the coverage page (dashboards.coverage): account attributes (state, industry, region, ICP
tier) narrow compliance per state and breadth (BreadthSnapshot, each account once); people (a team, an owner, a
rep's own scope) narrow compliance per state (DepthSnapshot: an account counts once per responsible role those
people hold, whatever the account attributes) and breadth (BreadthSnapshot, kept per owner and team: each account of
those people once, with the account attributes), without alerts, which the runs count for everyone. A night kept
before breadth was kept per person counts no account for people (0 target accounts, rates None; dashboards
migration 0006). Three queries at most, whatever the period.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from django.db.models import Sum

from core.choices import State
from core.timeutil import business_today
from engine.models import RecomputeRun

from .filtering import DashboardFilters, FilterError
from .models import BreadthSnapshot, DailySnapshot, DepthSnapshot
from .selectors import filtered_breadth_rows, scoped_depth_rows

DEFAULT_DAYS = 90  # without from/to: the 90 days to today (business date), today included
MAX_DAYS = 731  # at most two years (a leap year included) in one request

EMPTY_STATE = {"accounts": 0, "compliant": 0, "under_covered": 0, "grace": 0}


class TrendRangeError(ValueError):
    """A period that cannot be read; `errors` maps the URL parameter ("from", "to") to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items()))
        self.errors = errors


def _parse(raw: str | None, field: str, errors: dict) -> dt.date | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        errors[field] = [_("“%(value)s” is not a date: use YYYY-MM-DD.") % {"value": raw[:40]}]
        return None


def trend_range(raw_from: str | None, raw_to: str | None, *, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The period asked for (`from`, `to`: ISO dates, both included). Without `to`: today in the business zone;
    without `from`: the DEFAULT_DAYS days to `to`. Raises TrendRangeError naming the parameter when a date is
    malformed, the period ends before it starts, or it is longer than MAX_DAYS."""
    errors: dict[str, list[str]] = {}
    start, end = _parse(raw_from, "from", errors), _parse(raw_to, "to", errors)
    if errors:
        raise TrendRangeError(errors)
    end = end or today or business_today()
    start = start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise TrendRangeError({"from": [_("The period must start on or before its end (from ≤ to).")]})
    if (end - start).days + 1 > MAX_DAYS:
        raise TrendRangeError({"from": [_("The period is at most %(days)s days long.") % {"days": MAX_DAYS}]})
    return start, end


def rate(part: int, whole: int) -> float | None:
    """part ÷ whole, to four decimals; None when whole is 0 (nothing to rate)."""
    return round(part / whole, 4) if whole else None


def compliance(by_state: dict) -> dict[str, dict]:
    """Per state (every state of §3, in rule order): compliant, under_covered, grace, and the compliance rate
    compliant ÷ (compliant + under_covered + grace) — None for a state without requirements."""
    result = {}
    for state in State.values:
        figures = {**EMPTY_STATE, **by_state.get(state, {})}
        with_standard = figures["compliant"] + figures["under_covered"] + figures["grace"]
        result[state] = {**figures, "rate": rate(figures["compliant"], with_standard)}
    return result


def breadth(kept: dict) -> dict:
    targets = kept.get("target_accounts", 0)
    touched_30d, touched_90d = kept.get("touched_30d", 0), kept.get("touched_90d", 0)
    return {"target_accounts": targets, "touched_30d": touched_30d, "touched_90d": touched_90d,
            "touched_30d_rate": rate(touched_30d, targets), "touched_90d_rate": rate(touched_90d, targets)}


def completed_runs(start: dt.date, end: dt.date) -> dict[dt.date, dict]:
    """The latest completed run of each date from `start` to `end`: one query."""
    runs: dict[dt.date, dict] = {}
    for run in (RecomputeRun.objects.filter(as_of__range=(start, end), status=RecomputeRun.Status.COMPLETED)
                .order_by("as_of", "id").values("id", "as_of", "alerts_opened", "alerts_resolved")):
        runs[run["as_of"]] = run  # the latest completed run of the date wins
    return runs


def coverage_trends(*, start: dt.date, end: dt.date) -> dict:
    """Each completed night from `start` to `end` (both included), oldest first: its date, run, alerts opened and
    resolved, compliance per state and breadth (None when the night kept no snapshot). Two queries."""
    runs = completed_runs(start, end)
    snapshots = {} if not runs else {
        s["as_of"]: s for s in DailySnapshot.objects.filter(as_of__range=(start, end)).values("as_of", "by_state",
                                                                                               "breadth")}
    nights = []
    for day in sorted(runs):
        run, snapshot = runs[day], snapshots.get(day)
        nights.append({
            "as_of": day.isoformat(), "run": run["id"],
            "alerts_opened": run["alerts_opened"], "alerts_resolved": run["alerts_resolved"],
            "by_state": compliance(snapshot["by_state"]) if snapshot else None,
            "breadth": breadth(snapshot["breadth"]) if snapshot else None,
        })
    return {"from": start.isoformat(), "to": end.isoformat(), "nights": nights}


def period(f: DashboardFilters, *, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The filter's period (`from`, `to`), with trend_range's defaults and limits."""
    return trend_range(f.date_from.isoformat() if f.date_from else None,
                       f.date_to.isoformat() if f.date_to else None, today=today)


SUMS = ("accounts", "compliant", "under_covered", "grace")


def _kept_by_night(rows, sums: tuple[str, ...]) -> dict[dt.date, dict[str, dict]]:
    """Kept rows summed per (night, state): one query."""
    nights: dict[dt.date, dict[str, dict]] = {}
    for row in (rows.values("as_of", "state").annotate(**{f"{n}_sum": Sum(n) for n in sums}).order_by()):
        nights.setdefault(row["as_of"], {})[row["state"]] = {n: row[f"{n}_sum"] for n in sums}
    return nights


def _breadth_of(by_state: dict[str, dict]) -> dict:
    kept = {"target_accounts": 0, "touched_30d": 0, "touched_90d": 0}
    for state, figures in by_state.items():
        if state != State.OUT_OF_SCOPE:
            kept["target_accounts"] += figures["accounts"]
            kept["touched_30d"] += figures["touched_30d"]
            kept["touched_90d"] += figures["touched_90d"]
    return breadth(kept)


def filtered_trends(*, start: dt.date, end: dt.date, f: DashboardFilters) -> dict:
    """coverage_trends for a filter (module docstring): the same nights and keys; `alerts_opened` and
    `alerts_resolved` are None where the filter's people make them unknown. Three queries at most."""
    runs = completed_runs(start, end)
    people = f.by_person
    accounts: dict = {}  # per night and state, from the breadth rows: each account once
    if runs:
        accounts = _kept_by_night(
            filtered_breadth_rows(BreadthSnapshot.objects.filter(as_of__range=(start, end)), f),
            (*SUMS, "touched_30d", "touched_90d"))
    classes = accounts  # compliance per state: for people, per responsible role they hold (the depth rows)
    if runs and people:
        classes = _kept_by_night(
            scoped_depth_rows(rows=DepthSnapshot.objects.filter(as_of__range=(start, end)), f=f), SUMS)
    nights = []
    for day in sorted(runs):
        run, by_state = runs[day], classes.get(day, {})
        nights.append({
            "as_of": day.isoformat(), "run": run["id"],
            "alerts_opened": None if people else run["alerts_opened"],
            "alerts_resolved": None if people else run["alerts_resolved"],
            "by_state": compliance({s: {n: v[n] for n in SUMS} for s, v in by_state.items()}),
            "breadth": _breadth_of(accounts.get(day, {})),
        })
    return {"from": start.isoformat(), "to": end.isoformat(), "scope": f.scope.name,
            "filters": f.query(**{"from": None, "to": None, "as_of": None}), "nights": nights}


def trend_figures(f: DashboardFilters) -> tuple[dt.date, dt.date, dict]:
    """The period and its nights for the filter: the organisation's snapshots when nothing narrows them, else the
    nights' kept depth and breadth rows (dashboards.trends). Raises FilterError naming `from` or `to`."""
    try:
        start, end = period(f)
    except TrendRangeError as refused:
        raise FilterError(refused.errors) from None
    if f.is_empty:
        return start, end, coverage_trends(start=start, end=end)
    return start, end, filtered_trends(start=start, end=end, f=f)


def rated_states(trends: dict) -> list[str]:
    """The states with a compliance rate on some night of the period (those with requirements), in rule order."""
    return [state for state in State.values
            if any(n["by_state"] and n["by_state"][state]["rate"] is not None for n in trends["nights"])]
