"""Coverage figures (docs/rules.md §9), read from the tallies (engine.tallies)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet, Sum

from core.choices import Role, State
from core.models import User
from engine import tallies
from engine.models import RecomputeRun

from .filtering import DashboardFilters
from .models import BreadthSnapshot, DailySnapshot, DepthSnapshot, NightFigures


def kept_nights() -> QuerySet:
    """The completed runs whose dashboard figures are kept (dashboards.night_figures: counted after the night)."""
    return RecomputeRun.objects.filter(status=RecomputeRun.Status.COMPLETED,
                                       figures__status=NightFigures.Status.SUCCEEDED)


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


def open_alerts_by_role_and_person(*, people: int = 25, assignees: set[int] | None = None
                                   ) -> tuple[list[dict], list[dict]]:
    """Open alerts per responsible role (most first), and per assignee for the `people` with most, with their
    username, name and team: what the coverage dashboard lists; with `assignees`, only theirs. A few rows read,
    whatever the number of alerts."""
    by_role: dict[str, int] = {}
    by_assignee: dict[int, int] = {}
    for role, assignee_id, n in tallies.open_alert_counts():
        if assignees is not None and assignee_id not in assignees:
            continue
        by_role[role] = by_role.get(role, 0) + n
        if assignee_id is not None:
            by_assignee[assignee_id] = by_assignee.get(assignee_id, 0) + n
    users = {user.id: user for user in User.objects.filter(id__in=by_assignee).only("username", "full_name", "team")}
    people_rows = sorted(
        ({"assignee__username": users[i].username, "assignee__full_name": users[i].full_name,
          "assignee__team": users[i].team, "assignee_id": i, "n": n} for i, n in by_assignee.items() if i in users),
        key=lambda row: (-row["n"], row["assignee__username"]))
    role_rows = sorted(({"responsible_role": role, "n": n} for role, n in by_role.items()),
                       key=lambda row: (-row["n"], row["responsible_role"]))
    return role_rows, people_rows[:people]


# --- filtered figures (dashboards.filtering), from the nights' kept depth and breadth rows --------------------------

FIGURE_SUMS = ("accounts", "compliant", "under_covered", "grace")


def kept_night(as_of: dt.date | None) -> dt.date | None:
    """`as_of` when that night's figures are kept (None otherwise), or the latest night whose figures are kept."""
    if as_of is None:
        return kept_nights().order_by("-as_of").values_list("as_of", flat=True).first()
    return as_of if kept_nights().filter(as_of=as_of).exists() else None


def _sums(rows, keys: tuple[str, ...], sums: tuple[str, ...]):
    return rows.values(*keys).annotate(**{f"{name}_sum": Sum(name) for name in sums}).order_by()


def breadth_coverage_figures(*, night: dt.date, f: DashboardFilters) -> dict:
    """§9's figures (by_state, breadth) of the accounts of the filter's people (a team, an owner, the viewer's scope)
    with its state, industry, region and ICP tier, as the night's breadth rows kept them (dashboards.BreadthSnapshot):
    one query. Each account is counted once — its first region's row unless a region is chosen, its first owner's
    (or first in the team's) row."""
    rows = filtered_breadth_rows(BreadthSnapshot.objects.filter(as_of=night), f)
    by_state = {state: dict.fromkeys(FIGURE_SUMS, 0) for state in State.values}
    breadth = {"target_accounts": 0, "touched_30d": 0, "touched_90d": 0}
    for row in _sums(rows, ("state",), (*FIGURE_SUMS, "touched_30d", "touched_90d")):
        if row["state"] not in by_state:
            continue
        by_state[row["state"]] = {name: row[f"{name}_sum"] for name in FIGURE_SUMS}
        if row["state"] != State.OUT_OF_SCOPE:
            breadth["target_accounts"] += row["accounts_sum"]
            breadth["touched_30d"] += row["touched_30d_sum"]
            breadth["touched_90d"] += row["touched_90d_sum"]
    return {"as_of": night.isoformat(), "by_state": by_state, "breadth": breadth}


def scoped_depth_rows(*, night: dt.date | None = None, f: DashboardFilters, rows=None):
    """The night's depth rows (dashboards.DepthSnapshot; or `rows`, already narrowed to some nights) within the
    viewer's scope and the filter's state, team and owner."""
    rows = DepthSnapshot.objects.filter(as_of=night) if rows is None else rows
    scope = f.scope
    if not scope.everyone:
        mine = Q(owner_id=scope.user_id)
        rows = rows.filter(mine | Q(team=scope.team) if scope.team else mine)
    if f.state:
        rows = rows.filter(state=f.state)
    if f.team:
        rows = rows.filter(team=f.team)
    if f.owner is not None:
        rows = rows.filter(owner_id=f.owner)
    return rows


def filtered_breadth_rows(rows, f: DashboardFilters, *, every_region: bool = False):
    """Breadth rows (dashboards.BreadthSnapshot) of the filter's people — the chosen owner, the chosen team or the
    viewer's scope, each account once (dashboards.funnel.narrow) — and its state, industry, ICP tier and region;
    without a region, each account's first-region row only (counted once) — or, `every_region`, its rows of every
    region (for tables split by region)."""
    from .funnel import narrow  # dashboards.funnel reads this module's kept_nights

    rows = narrow(rows, f, places=False)
    if f.state:
        rows = rows.filter(state=f.state)
    if f.industry:
        rows = rows.filter(industry__iexact=f.industry)
    if f.icp_tier:
        rows = rows.filter(icp_tier=f.icp_tier)
    if f.region:
        return rows.filter(region=f.region)
    return rows if every_region else rows.filter(first_region=True)


def people_coverage_figures(*, night: dt.date, f: DashboardFilters) -> list[dict]:
    """Per (state, responsible role), in rule order: the accounts whose requirements of that role the filter's people
    hold, and their class for that role (docs/rules.md §9 per role) — from the night's depth rows, one query. An
    account counts once per responsible role."""
    states = {state: i for i, state in enumerate(State.values)}
    roles = {role: i for i, role in enumerate(Role.values)}
    rows = [{"state": r["state"], "responsible_role": r["responsible_role"],
             **{name: r[f"{name}_sum"] for name in FIGURE_SUMS}}
            for r in _sums(scoped_depth_rows(night=night, f=f), ("state", "responsible_role"), FIGURE_SUMS)]
    return sorted(rows, key=lambda r: (states.get(r["state"], 99), roles.get(r["responsible_role"], 99)))


def scoped_assignees(f: DashboardFilters) -> set[int] | None:
    """The people whose open alerts the filter covers (None: everyone's)."""
    if f.owner is not None:
        return {f.owner}
    team = f.team or ("" if f.scope.everyone else f.scope.team)
    if team:
        return set(User.objects.filter(team=team).values_list("id", flat=True)) | (
            set() if f.scope.everyone else {f.scope.user_id})
    return None if f.scope.everyone else {f.scope.user_id}


def empty_figures() -> dict:
    """Every figure 0, for a date without a completed night."""
    return {"as_of": None, "by_state": {state: dict.fromkeys(FIGURE_SUMS, 0) for state in State.values},
            "breadth": {"target_accounts": 0, "touched_30d": 0, "touched_90d": 0}}
