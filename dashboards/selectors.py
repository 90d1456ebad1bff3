"""Coverage figures (docs/rules.md §9), read from the tallies (engine.tallies)."""

from __future__ import annotations

import datetime as dt

from core.choices import State
from core.models import User
from engine import tallies
from engine.models import RecomputeRun

from .models import DailySnapshot


def latest_run_as_of() -> dt.date | None:
    run = RecomputeRun.objects.filter(status=RecomputeRun.Status.COMPLETED).order_by("-as_of", "-id").first()
    return run.as_of if run else None


def coverage_figures(*, as_of: dt.date | None = None) -> dict:
    """by_state (every state, zeros included) and breadth, as of the latest recompute.

    From the evaluation tally (engine.tallies.figures_by_state: the pipeline's narrow row per account, its state,
    how its requirements count and its latest touch, counted per key), whatever the number of accounts, coverage
    rows and touches.
    """
    as_of = as_of or latest_run_as_of()
    by_state = {state: {"accounts": 0, "compliant": 0, "under_covered": 0, "grace": 0} for state in State.values}
    breadth = {"target_accounts": 0, "touched_30d": 0, "touched_90d": 0}
    if as_of is None:
        return {"as_of": None, "by_state": by_state, "breadth": breadth}
    rows = tallies.figures_by_state(as_of=as_of)
    for state, accounts, compliant, under_covered, grace, touched_30d, touched_90d in rows:
        if state not in by_state:
            continue
        by_state[state] = {"accounts": accounts, "compliant": compliant, "under_covered": under_covered,
                           "grace": grace}
        if state != State.OUT_OF_SCOPE:
            breadth["target_accounts"] += accounts
            breadth["touched_30d"] += touched_30d
            breadth["touched_90d"] += touched_90d
    return {"as_of": as_of.isoformat(), "by_state": by_state, "breadth": breadth}


def kept_coverage_figures(*, as_of: dt.date) -> dict | None:
    """The figures as the completed run for `as_of` left them (its DailySnapshot, written when the run completed —
    the last completed run for that date when there were several), or None when no run for that date completed."""
    snapshot = DailySnapshot.objects.filter(as_of=as_of).only("as_of", "by_state", "breadth").first()
    if snapshot is None or not RecomputeRun.objects.filter(as_of=as_of, status=RecomputeRun.Status.COMPLETED).exists():
        return None
    by_state = {state: {"accounts": 0, "compliant": 0, "under_covered": 0, "grace": 0, **snapshot.by_state.get(state, {})}
                for state in State.values}
    return {"as_of": as_of.isoformat(), "by_state": by_state, "breadth": dict(snapshot.breadth)}


def open_alerts_by_role_and_person(*, people: int = 25) -> tuple[list[dict], list[dict]]:
    """Open alerts per responsible role (most first), and per assignee for the `people` with most, with their
    username, name and team: what the coverage dashboard lists. A few rows read, whatever the number of alerts."""
    by_role: dict[str, int] = {}
    by_assignee: dict[int, int] = {}
    for role, assignee_id, n in tallies.open_alert_counts():
        by_role[role] = by_role.get(role, 0) + n
        if assignee_id is not None:
            by_assignee[assignee_id] = by_assignee.get(assignee_id, 0) + n
    users = {user.id: user for user in User.objects.filter(id__in=by_assignee).only("username", "full_name", "team")}
    people_rows = sorted(
        ({"assignee__username": users[i].username, "assignee__full_name": users[i].full_name,
          "assignee__team": users[i].team, "n": n} for i, n in by_assignee.items() if i in users),
        key=lambda row: (-row["n"], row["assignee__username"]))
    role_rows = sorted(({"responsible_role": role, "n": n} for role, n in by_role.items()),
                       key=lambda row: (-row["n"], row["responsible_role"]))
    return role_rows, people_rows[:people]
