"""Every hand-written statement of the nightly chunk (engine.pipeline), one function each, both dialects side by side.

A chunk runs a fixed number of them whatever its size (docs/rules.md §2–§5 say what they compute). Each function
says what it reads and writes, and which index serves it. PostgreSQL gets arrays (one text parameter for a whole
column, core.bulk.array_literal) and dates as dates; SQLite gets placeholders per value and dates as ISO text
(`date_sql`/`date_param`, `as_date` on the way back). Rows come back as the named records of engine.records.
tests/engine/test_statements.py runs each on tiny data, on whichever database the tests run on.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from django.db import connection
from django.db.models import QuerySet

from accounts.models import Account
from core.bulk import array_literal, date_param, date_sql
from profiles import fit_sql
from profiles.scoring import NO_FIT, ProfileSpec

from . import domain
from .models import Alert, CoverageRow
from .records import (
    ACCOUNT_COLUMNS, EVALUATION_WRITTEN, OPEN_ALERT_FIELDS, STORED_COVERAGE_FIELDS, AccountRow, DealFacts,
    EvaluationRow, LeadFacts, OpenAlertRow, TouchCounts, TouchDates, earliest, row_maker,
)

# The records these statements return, made from their rows in C (engine.records.row_maker): each SELECT list is
# in its record's order.
_account_row, _deal_facts, _lead_facts = row_maker(AccountRow), row_maker(DealFacts), row_maker(LeadFacts)
_touch_dates, _touch_counts, _open_alert_row = row_maker(TouchDates), row_maker(TouchCounts), row_maker(OpenAlertRow)


@dataclass(frozen=True)
class AccountSelection:
    """Which accounts a chunk covers: an id range (nightly) or an explicit id list (a logged touch)."""

    first_id: int | None = None
    last_id: int | None = None
    ids: tuple[int, ...] | None = None

    @cached_property
    def ids_array(self) -> str:
        """The ids as one PostgreSQL array literal ("{1,2,3}"), a single text parameter cast to bigint[]: built once
        per selection, however many statements use it, and far cheaper than a driver adapting each id."""
        return array_literal(self.ids or ())

    def sql(self, column: str) -> tuple[str, list]:
        if self.ids is not None:
            if not self.ids:
                return "1 = 0", []
            if connection.vendor == "postgresql":  # one array parameter, however many ids
                return f"{column} = ANY(%s::bigint[])", [self.ids_array]
            return f"{column} IN ({', '.join(['%s'] * len(self.ids))})", list(self.ids)
        return f"{column} BETWEEN %s AND %s", [self.first_id, self.last_id]

    def filter(self, queryset: QuerySet) -> QuerySet:
        """`queryset` (of a model with an `account` foreign key) narrowed to the selection."""
        if self.ids is None:
            return queryset.filter(account_id__gte=self.first_id, account_id__lte=self.last_id)
        if connection.vendor == "postgresql" and self.ids:
            # One array parameter, however many ids, and `= ANY`: planned as one index scan for the listed ids
            # (an `IN (SELECT unnest(…))` was planned as a hash join over every open alert).
            column = f"{connection.ops.quote_name(queryset.model._meta.db_table)}.account_id"
            return queryset.extra(where=[f"{column} = ANY(%s::bigint[])"], params=[self.ids_array])
        return queryset.filter(account_id__in=self.ids)


def as_date(value) -> dt.date | None:
    """SQLite hands back aggregated dates as ISO text; PostgreSQL as dates."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def tune_transaction() -> None:
    """Planner settings for this transaction's chunk (PostgreSQL; SET LOCAL, so they end with it).

    A chunk's statements each read a few thousand rows by index. Parallel workers only add their start-up to
    that, and take the cores the other Celery workers' chunks run on (a chunk's deal aggregate: 77 ms with two
    parallel workers, 13 ms without). A random page read costs about what a sequential one does when the tables
    are cached, as a night's working set is: at the default 4× the planner chose bitmap scans of whole indexes
    over index probes.
    """
    if not _postgresql():
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute("SET LOCAL random_page_cost = 1.1")


def take_pending_accounts(selection: AccountSelection) -> list[int]:
    """Remove the selection's change marks (engine_pendingaccount, by its primary key) and return their account
    ids. One statement, the same on both databases.

    Evaluating an account starts with this: a change committed afterwards leaves a new mark for the next run, and
    a change committed before it is seen by the reads that follow (each statement reads what is committed).
    """
    where, params = selection.sql("account_id")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM engine_pendingaccount WHERE {where} RETURNING account_id", params)
        return [row[0] for row in cursor.fetchall()]


def read_accounts(selection: AccountSelection, profiles: Sequence[ProfileSpec]) -> list[AccountRow]:
    """The selection's accounts (accounts_account by primary key) with their new ICP fit, in one statement: the fit
    computed set-based in SQL (profiles.fit_sql.best_fit_rows_sql) and LEFT JOINed to the accounts.

    An account whose values SQL might read differently from Python (fit_sql.inexact_condition) comes back with its
    new fit all None: the caller scores it in Python. Without an active profile there is nothing to compute: every
    account gets NO_FIT. The SQL is the same on both databases; SQLite's dates and yes/no come back as text, 0/1.
    """
    if selection.ids is not None and not selection.ids:
        return []
    qn = connection.ops.quote_name
    meta = Account._meta
    columns = ", ".join(f"a.{qn(meta.get_field(f.removesuffix('_id')).column)}" for f in ACCOUNT_COLUMNS)
    matched = f"CAST(a.{qn(meta.get_field('icp_matched').column)} AS text)"
    where, params = selection.sql(f"a.{qn(meta.pk.column)}")
    table = qn(meta.db_table)
    if not profiles:
        sql, fit_params = f"SELECT {columns}, {matched} FROM {table} a WHERE {where}", []
    else:
        bounds = {"ids": selection.ids} if selection.ids is not None else {
            "low": selection.first_id, "high": selection.last_id}
        fit, fit_params = fit_sql.best_fit_rows_sql(profiles, exclude=fit_sql.inexact_condition(profiles), **bounds)
        sql = (f"SELECT {columns}, {matched}, v.fit, v.profile_id, v.tier, v.matched FROM {table} a "
               f"LEFT JOIN ({fit}) v ON v.id = a.{qn(meta.pk.column)} WHERE {where}")
    with connection.cursor() as cursor:
        cursor.execute(sql, fit_params + params)
        rows = cursor.fetchall()
    if not _postgresql():  # dates as ISO text, yes/no as 0/1
        rows = [(r[0], r[1], as_date(r[2]), bool(r[3]), bool(r[4]), *r[5:]) for r in rows]
    if not profiles:
        no_fit = (NO_FIT.fit, NO_FIT.profile_id, NO_FIT.tier, "[]")
        return [_account_row(r + no_fit) for r in rows]
    return list(map(_account_row, rows))


def deal_facts(selection: AccountSelection, as_of: dt.date) -> dict[int, DealFacts]:
    """Each account's deals as of D (docs/rules.md §2), one row per account with any: accounts_opportunity by
    opp_account_opened_idx (a range of account ids). The same statement on both databases."""
    where, params = selection.sql("account_id")
    d = date_sql()
    won = f"status = 'won' AND closed_on IS NOT NULL AND closed_on <= {d}"
    sql = f"""
        SELECT account_id,
               MIN(CASE WHEN {won} THEN closed_on END),
               SUM(CASE WHEN {won} THEN 1 ELSE 0 END),
               MAX(CASE WHEN {won} THEN closed_on END),
               MAX(CASE WHEN {won} THEN contract_end END),
               SUM(CASE WHEN opened_on <= {d} AND (closed_on IS NULL OR closed_on > {d}) THEN 1 ELSE 0 END),
               SUM(CASE WHEN status = 'open' THEN COALESCE(amount, 0) ELSE 0 END),
               MIN(CASE WHEN opened_on > {d} THEN opened_on END),
               MIN(CASE WHEN closed_on > {d} THEN closed_on END)
        FROM accounts_opportunity
        WHERE {where}
        GROUP BY account_id
    """
    p = date_param(as_of)
    with connection.cursor() as cursor:
        cursor.execute(sql, [p, p, p, p, p, p, p, p] + params)
        return {
            row[0]: _deal_facts((as_date(row[1]), int(row[2] or 0), as_date(row[3]), as_date(row[4]),
                                 int(row[5] or 0), int(row[6] or 0), earliest(as_date(row[7]), as_date(row[8]))))
            for row in cursor.fetchall()
        }


def lead_facts(selection: AccountSelection, as_of: dt.date) -> dict[int, LeadFacts]:
    """Each account's leads as of D (docs/rules.md §2), one row per account with any: accounts_lead by
    lead_account_created_idx (a range of account ids). The same statement on both databases."""
    where, params = selection.sql("account_id")
    d = date_sql()
    is_open = f"created_on <= {d} AND (closed_on IS NULL OR closed_on > {d})"
    sql = f"""
        SELECT account_id,
               SUM(CASE WHEN {is_open} THEN 1 ELSE 0 END),
               MAX(CASE WHEN {is_open} THEN score END),
               MIN(CASE WHEN created_on > {d} THEN created_on END),
               MIN(CASE WHEN closed_on > {d} THEN closed_on END)
        FROM accounts_lead
        WHERE {where}
        GROUP BY account_id
    """
    p = date_param(as_of)
    with connection.cursor() as cursor:
        cursor.execute(sql, [p, p, p, p, p, p] + params)
        return {row[0]: _lead_facts((int(row[1] or 0), None if row[2] is None else int(row[2]),
                                     earliest(as_date(row[3]), as_date(row[4]))))
                for row in cursor.fetchall()}


def touch_dates(selection: AccountSelection, as_of: dt.date) -> dict[int, TouchDates]:
    """Each account's latest touch of any kind dated on or before D, and its earliest dated after D (it will come
    into view on that date): contacts_touch from touch_nightly_counting_idx alone. The same statement on both
    databases; PostgreSQL's dates come back as dates."""
    where, params = selection.sql("account_id")
    d = date_sql()
    sql = (f"SELECT account_id, MAX(CASE WHEN occurred_on <= {d} THEN occurred_on END), "
           f"MIN(CASE WHEN occurred_on > {d} THEN occurred_on END) "
           f"FROM contacts_touch WHERE {where} GROUP BY account_id")
    p = date_param(as_of)
    with connection.cursor() as cursor:
        cursor.execute(sql, [p, p] + params)
        if _postgresql():
            return {row[0]: _touch_dates(row[1:]) for row in cursor.fetchall()}
        return {row[0]: _touch_dates((as_date(row[1]), as_date(row[2]))) for row in cursor.fetchall()}


def touch_counts(
    selection: AccountSelection, as_of: dt.date, requirements: dict[str, tuple[domain.RequirementSpec, ...]],
    states: dict[int, str],
) -> dict[tuple[int, str], TouchCounts]:
    """(account, requirement of its new state) -> the touches that count for it as of D (docs/rules.md §4), for
    the pairs with any matching touch: one statement for the chunk, over contacts_touch by
    touch_nightly_counting_idx (the performer role is in the index: no table page is read).

    Requirements go in as a VALUES list joined to the accounts' new states (`states`, the selection's accounts).
    No performer role means any role.
    """
    specs = [(state, spec) for state, requirement_specs in requirements.items() for spec in requirement_specs]
    if not specs:
        return {}
    if _postgresql():
        return _touch_counts_postgresql(specs, as_of, states)
    return _touch_counts_sqlite(specs, as_of, selection)


# PostgreSQL: the accounts and their new states travel as two arrays (no visit to each account's row); one row per
# requirement with its performer roles as an array. Same answer as ranking every touch of the year, cheaper: the
# window's dates newest first in one array per (account, requirement), whose min_count-th element is the n-th most
# recent counting date (NULL when fewer). Aggregated per pair in a LATERAL subquery over its own index range: 22 ms
# for a chunk of 5,000 accounts on the bench, against 28 ms grouping every pair's touches after one sort.
_TOUCH_COUNTS_POSTGRESQL = """
    WITH req(state, code, kind, roles, window_start, min_count) AS (VALUES {rows})
    SELECT a.id, req.code, x.counted, x.nth, x.latest, x.oldest
    FROM unnest(%s::bigint[], %s::text[]) AS a(id, state)
    JOIN req ON req.state = a.state
    CROSS JOIN LATERAL (
        SELECT COUNT(*) FILTER (WHERE t.occurred_on >= req.window_start) AS counted,
               (ARRAY_AGG(t.occurred_on ORDER BY t.occurred_on DESC)
                    FILTER (WHERE t.occurred_on >= req.window_start))[req.min_count] AS nth,
               MAX(t.occurred_on) AS latest,
               MIN(t.occurred_on) FILTER (WHERE t.occurred_on >= req.window_start) AS oldest
        FROM contacts_touch t
        WHERE t.account_id = a.id AND t.kind = req.kind AND t.occurred_on <= CAST(%s AS date)
              AND (req.roles IS NULL OR t.performer_role = ANY(req.roles))
    ) x
    WHERE x.latest IS NOT NULL
"""


def _touch_counts_postgresql(specs, as_of: dt.date, states: dict[int, str]) -> dict[tuple[int, str], TouchCounts]:
    rows = ", ".join(["(%s, %s, %s, %s::text[], CAST(%s AS date), %s)"] * len(specs))
    params = [value for state, spec in specs for value in (
        state, spec.code, spec.kind, array_literal(list(spec.performer_roles)) if spec.performer_roles else None,
        spec.window_start(as_of), spec.min_count)]
    accounts = [array_literal(list(states)), array_literal(list(states.values()))]
    with connection.cursor() as cursor:  # the arrays come before D in the statement's text
        cursor.execute(_TOUCH_COUNTS_POSTGRESQL.format(rows=rows), params + accounts + [as_of])
        return {(row[0], row[1]): _touch_counts(row[2:]) for row in cursor.fetchall()}


# SQLite (no arrays): the accounts' rows joined to one requirement row per performer role; every matching touch up
# to D ranked newest first, the touches inside the window being exactly the top-ranked ones.
_TOUCH_COUNTS_SQLITE = """
    WITH req(state, code, kind, role, window_start, min_count) AS (VALUES {rows}),
    ranked AS (
        SELECT a.id AS account_id, req.code AS code, req.min_count AS min_count, t.occurred_on AS day,
               CASE WHEN t.occurred_on >= req.window_start THEN 1 ELSE 0 END AS in_window,
               ROW_NUMBER() OVER (PARTITION BY a.id, req.code ORDER BY t.occurred_on DESC) AS rank
        FROM accounts_account a
        JOIN req ON req.state = a.state
        JOIN contacts_touch t ON t.account_id = a.id AND t.kind = req.kind
                              AND (req.role IS NULL OR t.performer_role = req.role) AND t.occurred_on <= %s
        WHERE {where}
    )
    SELECT account_id, code, SUM(in_window), MAX(CASE WHEN rank = min_count THEN day END), MAX(day),
           MIN(CASE WHEN in_window = 1 THEN day END)
    FROM ranked
    GROUP BY account_id, code
"""


def _touch_counts_sqlite(specs, as_of: dt.date, selection: AccountSelection) -> dict[tuple[int, str], TouchCounts]:
    rows, params = [], []
    for state, spec in specs:
        for role in spec.performer_roles or (None,):
            rows.append("(%s, %s, %s, %s, %s, %s)")
            params += [state, spec.code, spec.kind, role, date_param(spec.window_start(as_of)), spec.min_count]
    where, where_params = selection.sql("a.id")
    with connection.cursor() as cursor:
        cursor.execute(_TOUCH_COUNTS_SQLITE.format(rows=", ".join(rows), where=where),
                       params + [date_param(as_of)] + where_params)
        return {(row[0], row[1]): _touch_counts((int(row[2] or 0), as_date(row[3]), as_date(row[4]), as_date(row[5])))
                for row in cursor.fetchall()}


def coverage_rows(selection: AccountSelection) -> Iterable[tuple]:
    """The selection's stored coverage rows (engine_coveragerow by coverage_row_unique_per_requirement, which starts
    with the account), STORED_COVERAGE_FIELDS per row: on PostgreSQL in one plain fetch (values as the pipeline
    builds them); on SQLite through the ORM, which reads SQLite's dates."""
    if not _postgresql():
        return selection.filter(CoverageRow.objects.all()).values_list(*STORED_COVERAGE_FIELDS).iterator(
            chunk_size=10_000)
    where, params = selection.sql("account_id")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(STORED_COVERAGE_FIELDS)} FROM {CoverageRow._meta.db_table} WHERE {where}",
                       params)
        return cursor.fetchall()


def write_evaluations(rows: Sequence[EvaluationRow], *, after_night: bool) -> None:
    """Insert or update each account's engine_accountevaluation (by its primary key, account_id), every row with
    `after_night`. PostgreSQL: one statement from arrays, a row written only where it moved (the others stay as
    they are, with no dead tuple); SQLite: one upsert per row."""
    if not rows:
        return
    names = ", ".join(EVALUATION_WRITTEN)
    values = EVALUATION_WRITTEN[1:]
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in values)
    with connection.cursor() as cursor:
        if _postgresql():
            cursor.execute(
                f"INSERT INTO engine_accountevaluation ({names}) "
                f"SELECT u.*, %s FROM unnest(%s::bigint[], %s::date[], %s::varchar[], %s::varchar[], %s::date[]) u "
                f"ORDER BY 1 "
                f"ON CONFLICT (account_id) DO UPDATE SET {updates} "
                f"WHERE ({', '.join(f'engine_accountevaluation.{c}' for c in values)}) "
                f"IS DISTINCT FROM ({', '.join(f'EXCLUDED.{c}' for c in values)})",
                [after_night, *(array_literal(column) for column in zip(*rows))],
            )
        else:
            cursor.executemany(
                f"INSERT INTO engine_accountevaluation ({names}) VALUES (%s, %s, %s, %s, %s, %s) "
                f"ON CONFLICT (account_id) DO UPDATE SET {updates}",
                [(a, date_param(due), state, coverage, date_param(last), after_night)
                 for a, due, state, coverage, last in rows],
            )


def open_alert_rows(selection: AccountSelection) -> list[OpenAlertRow]:
    """The selection's open alerts (engine_alert by alert_one_open_per_key, partial on status = 'open').

    For a list of ids on PostgreSQL, one index probe per account (a LATERAL join over the array, kept from being
    flattened into a plain join by OFFSET 0): as `= ANY` or as a join, the planner could prefer reading every open
    alert and filtering. Otherwise, and on SQLite, through the ORM.
    """
    if selection.ids and _postgresql():
        columns = ", ".join(f"a.{c}" for c in OPEN_ALERT_FIELDS)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM unnest(%s::bigint[]) AS s(account_id) CROSS JOIN LATERAL "
                f"(SELECT * FROM engine_alert WHERE account_id = s.account_id AND status = %s OFFSET 0) a",
                [selection.ids_array, Alert.Status.OPEN])
            return list(map(_open_alert_row, cursor.fetchall()))
    alerts = selection.filter(Alert.objects.filter(status=Alert.Status.OPEN))
    return list(map(_open_alert_row, alerts.values_list(*OPEN_ALERT_FIELDS)))


def resolve_alerts(resolutions: Sequence[tuple[int, str]], as_of: dt.date) -> None:
    """Resolve open alerts as of D (engine_alert by primary key), each (id, resolution); gap and assignee stay as
    last evaluated. PostgreSQL: one statement from arrays; SQLite: one UPDATE per resolution kind."""
    if _postgresql():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE engine_alert AS a SET status = %s, resolved_on = %s, resolution = v.resolution "
                "FROM unnest(%s::bigint[], %s::varchar[]) AS v(id, resolution) "
                "WHERE a.id = v.id AND a.status = %s",
                [Alert.Status.RESOLVED, as_of, array_literal([r[0] for r in resolutions]),
                 array_literal([r[1] for r in resolutions]), Alert.Status.OPEN])
        return
    by_resolution: dict[str, list[int]] = defaultdict(list)
    for alert_id, resolution in resolutions:
        by_resolution[resolution].append(alert_id)
    for resolution, ids in by_resolution.items():
        Alert.objects.filter(id__in=ids, status=Alert.Status.OPEN).update(
            status=Alert.Status.RESOLVED, resolved_on=as_of, resolution=resolution)
