"""The tallies, in one place: counts PostgreSQL keeps per key as rows are written, so the coverage dashboard reads
a few thousand rows instead of one per account or per alert.

How a tally works. A tally counts the rows of a table (those its `where` selects) per key, in two tables: its
counts (`model`, one row per key) and its changes (`changes`, insert only). Statement triggers on the counted
table add each statement's net change to `changes` — +1 per new row, -1 per old row, summed per key, keys that
cancel left out — so chunks running side by side never wait on one another's count rows, and whatever writes or
deletes the rows (the pipeline, a logged touch, a page, a cascade) is counted; truncating the counted table empties
both. A run's last step folds the changes into the counts (`fold_changes`). The current counts are the two tables
together (`current_sql`), a key possibly on several rows: sum them. SQLite has no such triggers: there, the
readers below count the rows themselves.

The triggers were made by migrations engine/0010 (evaluations) and engine/0014 (open alerts) with the frozen
helper engine/migrations/_tally_triggers.py; this module is the live description.

- EVALUATIONS: engine_accountevaluation per (state, coverage, last_touch_on) -> accounts; read by
  `figures_by_state`, what the coverage figures count (docs/rules.md §9).
- OPEN_ALERTS: engine_alert where status = 'open', per (responsible_role, assignee_id) -> alerts; read by
  `open_alert_counts`, the dashboard's open alerts by role and by person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.db.models import Count

from contacts.models import Touch
from core.bulk import date_param, date_sql

from .models import (
    AccountEvaluation, Alert, EvaluationTally, EvaluationTallyChange, OpenAlertTally, OpenAlertTallyChange,
    RecomputeRun,
)


@dataclass(frozen=True)
class Tally:
    """One tally's two tables and its counting column; the key columns and the unique key's name are read off the
    tally model, not written again here."""

    model: type[models.Model]
    changes: type[models.Model]
    counted: str  # the counting column of both tables

    @property
    def _key(self) -> models.UniqueConstraint:
        (key,) = self.model._meta.constraints
        return key

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self._key.fields)

    @property
    def key_name(self) -> str:
        return self._key.name

    def current_sql(self) -> str:
        """A subquery of the tally's rows and its changes not folded in yet: its key columns and `counted`, a key
        possibly on several rows (sum them)."""
        columns = ", ".join((*self.keys, self.counted))
        return (f"(SELECT {columns} FROM {self.model._meta.db_table} "
                f"UNION ALL SELECT {columns} FROM {self.changes._meta.db_table})")

    def fold_sql(self) -> list[str]:
        """The two statements that fold the changes in: move them into the counts (summed per key, in key order so
        two folds lock rows in the same order), then drop the keys counted down to zero."""
        table, counted = self.model._meta.db_table, self.counted
        key_list = ", ".join(self.keys)
        positions = ", ".join(str(i + 1) for i in range(len(self.keys)))
        return [
            f"WITH moved AS (DELETE FROM {self.changes._meta.db_table} RETURNING {key_list}, {counted}) "
            f"INSERT INTO {table} ({key_list}, {counted}) "
            f"SELECT {key_list}, SUM({counted}) FROM moved GROUP BY {positions} ORDER BY {positions} "
            f"ON CONFLICT ON CONSTRAINT {self.key_name} "
            f"DO UPDATE SET {counted} = {table}.{counted} + EXCLUDED.{counted}",
            f"DELETE FROM {table} WHERE {counted} = 0",
        ]


EVALUATIONS = Tally(EvaluationTally, EvaluationTallyChange, "accounts")
OPEN_ALERTS = Tally(OpenAlertTally, OpenAlertTallyChange, "alerts")
ALL = (EVALUATIONS, OPEN_ALERTS)


def fold_changes() -> None:
    """Fold every tally's recorded changes into it (PostgreSQL; a no-op elsewhere): two statements per tally,
    whatever the number of changes. A change committed meanwhile is left for the next fold."""
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(), connection.cursor() as cursor:
        for tally in ALL:
            for sql in tally.fold_sql():
                cursor.execute(sql)


# --- readers -------------------------------------------------------------------------------------------------------

# Where each coverage class is counted in a state's row of figures_by_state (after the accounts).
_COVERAGE_COLUMN = {AccountEvaluation.Coverage.COMPLIANT: 0, AccountEvaluation.Coverage.UNDER_COVERED: 1,
                    AccountEvaluation.Coverage.GRACE: 2}


def figures_by_state(*, as_of: dt.date) -> list[tuple[str, int, int, int, int, int, int]]:
    """Per state: accounts, compliant, under-covered, grace, touched within the last 30 and 90 days as of D.

    Counted per (state, coverage, latest touch within 30 days, within 90, after D): on PostgreSQL from EVALUATIONS
    (a few thousand rows, with its changes not folded in yet); elsewhere from the evaluations themselves, one scan.

    An account's latest touch is as of its own evaluation, which for most is D. One evaluated later (a touch
    logged today, after the night of D) may have its latest touch after D: only when there are such accounts
    does a second query look up, for them alone, the touches within the windows up to D
    (`_count_touched_after_day`).
    """
    day = date_sql()
    windows = [date_param(as_of - dt.timedelta(days=30 - 1)), date_param(as_of),
               date_param(as_of - dt.timedelta(days=90 - 1)), date_param(as_of)]
    if connection.vendor == "postgresql":
        rows, counted = EVALUATIONS.current_sql(), "SUM(accounts)"
    else:
        rows, counted = AccountEvaluation._meta.db_table, "COUNT(*)"
    counts: dict[str, list[int]] = {}
    after_day = False
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT state, coverage, last_touch_on BETWEEN {day} AND {day}, last_touch_on BETWEEN {day} AND {day}, "
            f"last_touch_on > {day}, {counted} FROM {rows} e GROUP BY 1, 2, 3, 4, 5",
            [*windows, date_param(as_of)])
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
            _count_touched_after_day(cursor, counts, as_of=as_of, windows=windows)
    return [(state, *row) for state, row in counts.items()]


def _count_touched_after_day(cursor, counts: dict[str, list[int]], *, as_of: dt.date, windows: list) -> None:
    """Add to `counts` the accounts evaluated after D whose touches within the windows up to D count, their
    latest touch (after D) having been left out.

    Evaluations later than D are a logged touch's (flagged after_night, found by evaluation_after_night_idx)
    unless a run for a later date has written some (one unfinished, or D is not the latest): then all of them are
    looked at.
    """
    day = date_sql()
    touched = (f"EXISTS (SELECT 1 FROM {Touch._meta.db_table} t WHERE t.account_id = e.account_id "
               f"AND t.occurred_on BETWEEN {day} AND {day})")
    later_run = RecomputeRun.objects.filter(as_of__gt=as_of).exists()
    flagged = "" if later_run else "e.after_night AND "
    cursor.execute(f"SELECT e.state, {touched}, {touched} FROM {AccountEvaluation._meta.db_table} e "
                   f"WHERE {flagged}e.last_touch_on > {day}", [*windows, date_param(as_of)])
    for state, within_30, within_90 in cursor.fetchall():
        counts[state][4] += 1 if within_30 else 0
        counts[state][5] += 1 if within_90 else 0


def open_alert_counts() -> list[tuple[str, int | None, int]]:
    """(responsible role, assignee id or None, open alerts) for every pair with any: on PostgreSQL from OPEN_ALERTS
    (with its changes not folded in yet), elsewhere by counting the open alerts."""
    if connection.vendor != "postgresql":
        rows = (Alert.objects.filter(status=Alert.Status.OPEN).values("responsible_role", "assignee_id")
                .annotate(n=Count("id")).order_by())
        return [(row["responsible_role"], row["assignee_id"], row["n"]) for row in rows]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT responsible_role, assignee_id, SUM(alerts) FROM {OPEN_ALERTS.current_sql()} t "
                       f"GROUP BY 1, 2 HAVING SUM(alerts) <> 0")
        return [(role, assignee_id, int(n)) for role, assignee_id, n in cursor.fetchall()]
