"""Coverage figures (coverage-rules §9)."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Count

from contacts.models import Touch
from core.bulk import date_param, date_sql
from core.choices import State
from core.models import User
from engine import tallies
from engine.models import AccountEvaluation, Alert, RecomputeRun


def latest_run_as_of() -> dt.date | None:
    run = RecomputeRun.objects.filter(status=RecomputeRun.Status.COMPLETED).order_by("-as_of", "-id").first()
    return run.as_of if run else None


def coverage_figures(*, as_of: dt.date | None = None) -> dict:
    """by_state (every state, zeros included) and breadth, as of the latest recompute.

    One scan of engine.AccountEvaluation, the pipeline's narrow row per account (its state, how its requirements
    count, its latest touch), whatever the number of accounts, coverage rows and touches.
    """
    as_of = as_of or latest_run_as_of()
    by_state = {state: {"accounts": 0, "compliant": 0, "under_covered": 0, "grace": 0} for state in State.values}
    breadth = {"target_accounts": 0, "touched_30d": 0, "touched_90d": 0}
    if as_of is None:
        return {"as_of": None, "by_state": by_state, "breadth": breadth}
    for state, accounts, compliant, under_covered, grace, touched_30d, touched_90d in _figures_by_state(as_of):
        if state not in by_state:
            continue
        by_state[state] = {"accounts": accounts, "compliant": compliant, "under_covered": under_covered,
                           "grace": grace}
        if state != State.OUT_OF_SCOPE:
            breadth["target_accounts"] += accounts
            breadth["touched_30d"] += touched_30d
            breadth["touched_90d"] += touched_90d
    return {"as_of": as_of.isoformat(), "by_state": by_state, "breadth": breadth}


def _figures_by_state(as_of: dt.date) -> list[tuple[str, int, int, int, int, int, int]]:
    """Per state: accounts, compliant, under-covered, grace, touched within the last 30 and 90 days as of D.

    Counted per (state, coverage, latest touch within 30 days, within 90, after D): on PostgreSQL from the
    evaluation tally (engine.EvaluationTally, a few thousand rows, with its changes not folded in yet); elsewhere
    from the evaluations themselves, one scan.

    An account's latest touch is as of its own evaluation, which for most is D. One evaluated later (a touch
    logged today, after the night of D) may have its latest touch after D: only when there are such accounts
    does a second query look up, for them alone, the touches within the windows up to D — found by their flag
    (AccountEvaluation.after_night), not by a scan of every evaluation.
    """
    day = date_sql()
    p = date_param(as_of)
    start_30, start_90 = (date_param(as_of - dt.timedelta(days=days - 1)) for days in (30, 90))
    table = AccountEvaluation._meta.db_table
    if connection.vendor == "postgresql":
        rows, counted = tallies.EVALUATIONS.current_sql(), "SUM(accounts)"
    else:
        rows, counted = table, "COUNT(*)"
    counts: dict[str, list[int]] = {}
    after_day = False
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT state, coverage, last_touch_on BETWEEN {day} AND {day}, last_touch_on BETWEEN {day} AND {day}, "
            f"last_touch_on > {day}, {counted} FROM {rows} e GROUP BY 1, 2, 3, 4, 5",
            [start_30, p, start_90, p, p])
        for state, coverage, within_30, within_90, after, accounts in cursor.fetchall():
            accounts = int(accounts)
            if not accounts:
                continue
            row = counts.setdefault(state, [0] * 6)
            row[0] += accounts
            column = _COVERAGE_COLUMN.get(coverage)
            if column is not None:
                row[1 + column] += accounts
            row[4] += accounts if within_30 else 0
            row[5] += accounts if within_90 else 0
            after_day = after_day or bool(after)
        if after_day:
            touched = (f"EXISTS (SELECT 1 FROM {Touch._meta.db_table} t WHERE t.account_id = e.account_id "
                       f"AND t.occurred_on BETWEEN {day} AND {day})")
            # Evaluations later than D are a logged touch's (flagged after_night, found by their partial index)
            # unless a run for a later date has written some (one unfinished, or D is not the latest): then all
            # of them are looked at.
            later_run = RecomputeRun.objects.filter(as_of__gt=as_of).exists()
            flagged = "" if later_run else "e.after_night AND "
            cursor.execute(f"SELECT e.state, {touched}, {touched} FROM {table} e "
                           f"WHERE {flagged}e.last_touch_on > {day}", [start_30, p, start_90, p, p])
            for state, within_30, within_90 in cursor.fetchall():
                counts[state][4] += 1 if within_30 else 0
                counts[state][5] += 1 if within_90 else 0
    return [(state, *row) for state, row in counts.items()]


# Where each coverage class is counted in a state's row of _figures_by_state (after the accounts).
_COVERAGE_COLUMN = {AccountEvaluation.Coverage.COMPLIANT: 0, AccountEvaluation.Coverage.UNDER_COVERED: 1,
                    AccountEvaluation.Coverage.GRACE: 2}


def _open_alert_counts() -> list[tuple[str, int | None, int]]:
    """(responsible role, assignee id or None, open alerts) for every pair with any: on PostgreSQL from the open-alert
    tally (engine.OpenAlertTally, with its changes not folded yet), elsewhere by counting the open alerts."""
    if connection.vendor != "postgresql":
        rows = (Alert.objects.filter(status=Alert.Status.OPEN).values("responsible_role", "assignee_id")
                .annotate(n=Count("id")).order_by())
        return [(row["responsible_role"], row["assignee_id"], row["n"]) for row in rows]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT responsible_role, assignee_id, SUM(alerts) FROM {tallies.OPEN_ALERTS.current_sql()} t "
                       f"GROUP BY 1, 2 HAVING SUM(alerts) <> 0")
        return [(role, assignee_id, int(n)) for role, assignee_id, n in cursor.fetchall()]


def open_alerts_by_role_and_person(*, people: int = 25) -> tuple[list[dict], list[dict]]:
    """Open alerts per responsible role (most first), and per assignee for the `people` with most, with their
    username, name and team: what the coverage dashboard lists. A few rows read, whatever the number of alerts."""
    by_role: dict[str, int] = {}
    by_assignee: dict[int, int] = {}
    for role, assignee_id, n in _open_alert_counts():
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
