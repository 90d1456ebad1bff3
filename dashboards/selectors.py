"""Coverage figures (coverage-rules §9)."""

from __future__ import annotations

import datetime as dt

from django.db import connection

from contacts.models import Touch
from core.bulk import date_param, date_sql
from core.choices import State
from engine.models import AccountEvaluation, RecomputeRun


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

    An account's latest touch is as of its own evaluation, which for most is D. One evaluated later (a touch
    logged today, after the night of D) may have its latest touch after D: only for those few are the touches
    within the window up to D looked up.
    """
    day = date_sql()
    touched = (f"CASE WHEN e.last_touch_on BETWEEN {day} AND {day} THEN 1 "
               f"WHEN e.last_touch_on > {day} AND EXISTS (SELECT 1 FROM {Touch._meta.db_table} t "
               f"WHERE t.account_id = e.account_id AND t.occurred_on BETWEEN {day} AND {day}) THEN 1 ELSE 0 END")
    sql = f"""
        SELECT e.state, COUNT(*),
               SUM(CASE WHEN e.coverage = 'compliant' THEN 1 ELSE 0 END),
               SUM(CASE WHEN e.coverage = 'under_covered' THEN 1 ELSE 0 END),
               SUM(CASE WHEN e.coverage = 'grace' THEN 1 ELSE 0 END),
               SUM({touched}), SUM({touched})
        FROM {AccountEvaluation._meta.db_table} e
        GROUP BY e.state"""
    p = date_param(as_of)
    params = []
    for days in (30, 90):
        start = date_param(as_of - dt.timedelta(days=days - 1))
        params += [start, p, p, start, p]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[0], *(int(v or 0) for v in row[1:])) for row in cursor.fetchall()]
