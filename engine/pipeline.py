"""The set-based path of the nightly recompute: one chunk of accounts, a fixed number of queries.

Per chunk, whatever its size: take the accounts' change marks (PendingAccount) before reading anything; load
accounts with their ICP fit computed in SQL (scoring.best_fit compiled; the few accounts SQL might read differently
are scored by best_fit in Python); aggregate deals and leads (SQL); facts and state in Python with engine.domain;
write states, transitions and handoffs; count touches per (account, requirement) in ONE SQL query; replace coverage
rows; reconcile alerts; write each account's AccountEvaluation (its next date of change, for incremental nights,
and what the coverage figures count). The caller wraps a chunk in one transaction, so a chunk that dies leaves
nothing behind and a chunk run twice for the same date changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from django.db import connection
from django.db.models import QuerySet

from accounts.models import Account
from core.bulk import (
    array_literal, bulk_insert_copy, bulk_insert_rows, bulk_update_rows, cyclic_gc_paused, date_param, date_sql,
)
from core.choices import owner_field_for_role
from handoffs.calendar import BusinessCalendar, sla_due_at
from handoffs.domain import RuleSpec, load_rule_specs, pick_rule
from handoffs.models import Handoff
from profiles.scoring import (
    NO_FIT, ProfileSpec, account_attributes, attribute_fields_read_by, best_fit, load_active_profile_specs,
    matched_unchanged,
)
from segments.models import StateThresholds, StateTransition
from standards.selectors import requirement_specs_by_state

from . import domain
from .models import Alert, CoverageRow

# first won, won count, latest won, latest contract end, open, open amount, next dated event after D
NO_DEALS = (None, 0, None, None, 0, 0, None)
OWNER_FIELDS = ("owner_csm_id", "owner_sales_id", "owner_inside_sales_id", "owner_marketing_id", "owner_executive_id")


@dataclass(frozen=True)
class EngineConfig:
    """Everything a chunk reads besides the accounts' own rows; loaded once per chunk (a fixed few queries)."""

    thresholds: domain.Thresholds
    requirements: dict[str, tuple[domain.RequirementSpec, ...]]
    profiles: list[ProfileSpec]
    rules: list[RuleSpec]
    calendar: BusinessCalendar

    @classmethod
    def load(cls) -> EngineConfig:
        t = StateThresholds.load()
        return cls(
            thresholds=domain.Thresholds(
                churn_after_days=t.churn_after_days, onboarding_days=t.onboarding_days,
                loyal_min_tenure_days=t.loyal_min_tenure_days, loyal_min_won_deals=t.loyal_min_won_deals,
                hot_lead_min_score=t.hot_lead_min_score, high_potential_min_fit=t.high_potential_min_fit,
            ),
            requirements=requirement_specs_by_state(),
            profiles=load_active_profile_specs(),
            rules=load_rule_specs(),
            calendar=BusinessCalendar.load(),
        )


@dataclass
class ChunkStats:
    accounts: int = 0
    transitions: int = 0
    handoffs_created: int = 0
    alerts_opened: int = 0
    alerts_resolved: int = 0
    by_state: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "accounts": self.accounts, "transitions": self.transitions, "handoffs_created": self.handoffs_created,
            "alerts_opened": self.alerts_opened, "alerts_resolved": self.alerts_resolved, "by_state": self.by_state,
        }


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


def _as_date(value) -> dt.date | None:
    """SQLite hands back aggregated dates as ISO text; PostgreSQL as dates."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _deal_aggregates(selection: AccountSelection, as_of: dt.date) -> dict[int, tuple]:
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
            row[0]: (_as_date(row[1]), int(row[2] or 0), _as_date(row[3]), _as_date(row[4]), int(row[5] or 0),
                     int(row[6] or 0), _earliest(_as_date(row[7]), _as_date(row[8])))
            for row in cursor.fetchall()
        }


def _lead_aggregates(selection: AccountSelection, as_of: dt.date) -> dict[int, tuple]:
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
        return {row[0]: (int(row[1] or 0), None if row[2] is None else int(row[2]),
                         _earliest(_as_date(row[3]), _as_date(row[4])))
                for row in cursor.fetchall()}


def _touch_dates(selection: AccountSelection, as_of: dt.date) -> dict[int, tuple[dt.date | None, dt.date | None]]:
    """Each account's latest touch of any kind dated on or before D, and its earliest dated after D (it will come
    into view on that date)."""
    where, params = selection.sql("account_id")
    d = date_sql()
    sql = (f"SELECT account_id, MAX(CASE WHEN occurred_on <= {d} THEN occurred_on END), "
           f"MIN(CASE WHEN occurred_on > {d} THEN occurred_on END) "
           f"FROM contacts_touch WHERE {where} GROUP BY account_id")
    p = date_param(as_of)
    with connection.cursor() as cursor:
        cursor.execute(sql, [p, p] + params)
        if connection.vendor == "postgresql":  # dates as dates
            return {account_id: (latest, upcoming) for account_id, latest, upcoming in cursor.fetchall()}
        return {row[0]: (_as_date(row[1]), _as_date(row[2])) for row in cursor.fetchall()}


def _earliest(*days: dt.date | None) -> dt.date | None:
    """The earliest of the dates given, None when none is. (A plain loop: called for every account of a chunk.)"""
    earliest = None
    for day in days:
        if day is not None and (earliest is None or day < earliest):
            earliest = day
    return earliest


def _touch_counts(
    selection: AccountSelection, as_of: dt.date, requirements: dict[str, tuple[domain.RequirementSpec, ...]],
    states: dict[int, str],
) -> dict[tuple[int, str], tuple[int, dt.date | None, dt.date | None, dt.date | None]]:
    """(account, requirement) -> (counted in window, n-th most recent counting date, last matching date ≤ D,
    oldest counting date in the window).

    One query for the chunk. Requirements go in as a VALUES list joined to the accounts' new states: on PostgreSQL
    `states` (the selection's accounts), one row per requirement with its performer roles as an array; elsewhere the
    accounts' rows, one requirement row per performer role. No role means any role.
    """
    specs = [(state, spec) for state, requirement_specs in requirements.items() for spec in requirement_specs]
    if not specs:
        return {}
    d = date_sql()
    if connection.vendor == "postgresql":
        rows = [f"(%s, %s, %s, %s::text[], {d}, %s)"] * len(specs)
        params = [value for state, spec in specs for value in (
            state, spec.code, spec.kind, array_literal(list(spec.performer_roles)) if spec.performer_roles else None,
            spec.window_start(as_of), spec.min_count)]
        # The accounts and their new states travel as two arrays: no visit to each account's row.
        where_params = [array_literal(list(states)), array_literal(list(states.values()))]
        # Same answer without ranking every touch of the year: the window's dates newest first in one array per
        # (account, requirement), whose min_count-th element is the n-th most recent counting date (NULL when
        # fewer). Aggregated per pair in a LATERAL subquery over its own index range: 22 ms for a chunk of 5,000
        # accounts on the bench, against 28 ms grouping every pair's touches after one sort.
        sql = f"""
            WITH req(state, code, kind, roles, window_start, min_count) AS (VALUES {', '.join(rows)})
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
                WHERE t.account_id = a.id AND t.kind = req.kind AND t.occurred_on <= {d}
                      AND (req.roles IS NULL OR t.performer_role = ANY(req.roles))
            ) x
            WHERE x.latest IS NOT NULL
        """
    else:
        rows, params = [], []
        for state, spec in specs:
            for role in spec.performer_roles or (None,):
                rows.append(f"(%s, %s, %s, %s, {d}, %s)")
                params += [state, spec.code, spec.kind, role, date_param(spec.window_start(as_of)), spec.min_count]
        where, where_params = selection.sql("a.id")
        columns = "req(state, code, kind, role, window_start, min_count)"
        role_match = "(req.role IS NULL OR t.performer_role = req.role)"
        sql = _TOUCH_COUNTS_RANKED_SQL.format(columns=columns, rows=', '.join(rows), role_match=role_match, d=d,
                                              where=where)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # the arrays come before D in the statement's text; dates as dates
            cursor.execute(sql, params + where_params + [date_param(as_of)])
            return {(account_id, code): (counted, nth, latest, oldest)
                    for account_id, code, counted, nth, latest, oldest in cursor.fetchall()}
        cursor.execute(sql, params + [date_param(as_of)] + where_params)
        return {
            (row[0], row[1]): (int(row[2] or 0), _as_date(row[3]), _as_date(row[4]), _as_date(row[5]))
            for row in cursor.fetchall()
        }


# SQLite (no arrays): every matching touch up to D ranked newest first; the touches inside the window are exactly
# the top-ranked ones.
_TOUCH_COUNTS_RANKED_SQL = """
        WITH {columns} AS (VALUES {rows}),
        ranked AS (
            SELECT a.id AS account_id, req.code AS code, req.min_count AS min_count, t.occurred_on AS day,
                   CASE WHEN t.occurred_on >= req.window_start THEN 1 ELSE 0 END AS in_window,
                   ROW_NUMBER() OVER (PARTITION BY a.id, req.code ORDER BY t.occurred_on DESC) AS rank
            FROM accounts_account a
            JOIN req ON req.state = a.state
            JOIN contacts_touch t ON t.account_id = a.id AND t.kind = req.kind AND {role_match}
                                  AND t.occurred_on <= {d}
            WHERE {where}
        )
        SELECT account_id, code, SUM(in_window), MAX(CASE WHEN rank = min_count THEN day END), MAX(day),
               MIN(CASE WHEN in_window = 1 THEN day END)
        FROM ranked
        GROUP BY account_id, code
"""


# The account columns a chunk reads, in the order of the tuples `_read_accounts` returns (then the stored matched
# list as text, then the new fit, profile, tier and matched text, None for an account scored in Python).
ACCOUNT_FIELDS = ("id", "state", "state_since", "state_initial", "is_target", "icp_fit", "icp_profile_id", "icp_tier",
                  *OWNER_FIELDS)
_OWNER_INDEX = {f: ACCOUNT_FIELDS.index(f) for f in OWNER_FIELDS}
ACCOUNT_UPDATE_FIELDS = ("state", "state_since", "state_initial", "state_as_of", "icp_fit", "icp_profile", "icp_tier",
                         "icp_matched")


def _read_accounts(selection: AccountSelection, profiles: Sequence[ProfileSpec]) -> list[tuple]:
    """The selection's accounts with their new ICP fit: one query, the fit computed set-based in SQL
    (analysis_selectors.best_fit_rows_sql, scoring.best_fit compiled) and LEFT JOINed to the accounts.

    Accounts whose values the SQL might read differently from Python (analysis_selectors.inexact_condition) come
    back with no fit and are scored by best_fit itself, read in one more query only when the chunk has any.
    Without an active profile there is nothing to compute: every account gets NO_FIT.
    """
    from profiles import analysis_selectors as sel

    if selection.ids is not None and not selection.ids:
        return []
    qn = connection.ops.quote_name
    meta = Account._meta
    columns = ", ".join(f"a.{qn(meta.get_field(f.removesuffix('_id')).column)}" for f in ACCOUNT_FIELDS)
    matched = f"CAST(a.{qn(meta.get_field('icp_matched').column)} AS text)"
    where, params = selection.sql(f"a.{qn(meta.pk.column)}")
    table = qn(meta.db_table)
    if not profiles:
        sql = f"SELECT {columns}, {matched} FROM {table} a WHERE {where}"
        fit_params: list = []
    else:
        inexact = sel.inexact_condition(profiles)
        if selection.ids is not None:
            fit_sql, fit_params = sel.best_fit_rows_sql(profiles, ids=selection.ids, exclude=inexact)
        else:
            fit_sql, fit_params = sel.best_fit_rows_sql(profiles, low=selection.first_id, high=selection.last_id,
                                                        exclude=inexact)
        sql = (f"SELECT {columns}, {matched}, v.fit, v.profile_id, v.tier, v.matched FROM {table} a "
               f"LEFT JOIN ({fit_sql}) v ON v.id = a.{qn(meta.pk.column)} WHERE {where}")
    with connection.cursor() as cursor:
        cursor.execute(sql, fit_params + params)
        rows = cursor.fetchall()
    if connection.vendor != "postgresql":  # SQLite: dates as ISO text, yes/no as 0/1
        rows = [(r[0], r[1], _as_date(r[2]), bool(r[3]), bool(r[4]), *r[5:]) for r in rows]
    if not profiles:
        return [(*r, NO_FIT.fit, NO_FIT.profile_id, NO_FIT.tier, "[]") for r in rows]
    in_python = [r[0] for r in rows if r[-4] is None]
    if not in_python:
        return rows
    # The accounts SQL might read differently: best_fit on their values, as Django reads them.
    fits = {}
    attributes = attribute_fields_read_by(profiles)
    for values in Account.objects.filter(id__in=in_python).values("id", *attributes):
        fit = best_fit(account_attributes(values), profiles)
        fits[values["id"]] = (fit.fit, fit.profile_id, fit.tier, json.dumps(list(fit.matched)))
    return [(*r[:-4], *fits[r[0]]) if r[-4] is None else r for r in rows]


def _matched_list(text: str) -> list[int]:
    """The matched criteria of a JSON list of integers as the fit SQL prints it ("[0,2]")."""
    inner = text.strip()[1:-1]
    return [int(x) for x in inner.split(",")] if inner.strip() else []


@cyclic_gc_paused()  # a chunk's rows as tuples, none in a cycle: see cyclic_gc_paused
def recompute_selection(*, selection: AccountSelection, as_of: dt.date, config: EngineConfig | None = None,
                        take_pending: bool = True, after_night: bool = False) -> ChunkStats:
    """Recompute the selected accounts as of D. Call inside a transaction. `take_pending=False` leaves the
    selection's change marks alone: the caller took them already, or leaves them for the next run. `after_night`:
    a logged touch's evaluation, made after the night (AccountEvaluation.after_night)."""
    config = config or EngineConfig.load()
    stats = ChunkStats()
    tune_transaction()
    # First, before any data is read: a change committed from here on leaves a new mark for the next run.
    if take_pending:
        take_pending_accounts(selection)
    accounts = _read_accounts(selection, config.profiles)
    if not accounts:
        return stats
    deals = _deal_aggregates(selection, as_of)
    leads = _lead_aggregates(selection, as_of)

    changed_accounts: list[tuple] = []
    transitions: list[StateTransition] = []
    new_handoffs: list[Handoff] = []
    steps: dict[int, domain.StateStep] = {}
    fits: dict[int, int] = {}
    by_state = stats.by_state
    thresholds = config.thresholds
    no_lead = (0, None, None)
    for row in accounts:
        (account_id, previous_state, previous_since, previous_initial, is_target, old_fit, old_profile_id, old_tier,
         *_owners, old_matched_text, fit, profile_id, tier, matched_text) = row
        deal = deals.get(account_id, NO_DEALS)
        lead = leads.get(account_id, no_lead)
        facts = domain.facts_from_aggregates(
            as_of=as_of, thresholds=thresholds, first_won_on=deal[0], won_count=deal[1],
            latest_won_closed_on=deal[2], latest_won_contract_end=deal[3], open_deals=deal[4],
            open_leads=lead[0], max_open_lead_score=lead[1], icp_fit=fit, is_target=bool(is_target),
        )
        state, rule_name = domain.decide_state(facts, thresholds, as_of)
        step = domain.advance_state(
            previous_state=previous_state, previous_since=previous_since, previous_initial=previous_initial,
            new_state=state, as_of=as_of,
        )
        steps[account_id] = step
        fits[account_id] = fit
        by_state[state] = by_state.get(state, 0) + 1
        matched_same = old_matched_text is not None and (
            old_matched_text.replace(" ", "") == matched_text.replace(" ", "")
            or matched_unchanged(old_matched_text, _matched_list(matched_text)))
        if (previous_state != step.state or previous_since != step.since or previous_initial != step.initial
                or old_fit != fit or old_profile_id != profile_id or old_tier != tier or not matched_same):
            changed_accounts.append((account_id, step.state, step.since, step.initial, as_of, fit, profile_id, tier,
                                     _matched_list(matched_text)))
        if previous_state != state:
            transitions.append(StateTransition(
                account_id=account_id, as_of=as_of, from_state=previous_state, to_state=state, rule=rule_name,
                facts=facts.as_json(),
            ))
        if step.transitioned:
            stats.transitions += 1
            rule = pick_rule(config.rules, previous_state, state)
            if rule is not None:
                owner_field = owner_field_for_role(rule.to_role)
                new_handoffs.append(Handoff(
                    account_id=account_id, rule_id=rule.id, rule_name=rule.name, from_state=previous_state,
                    to_state=state, from_role=rule.from_role, to_role=rule.to_role, model=rule.model,
                    created_on=as_of, status=Handoff.Status.PENDING,
                    assignee_id=row[_OWNER_INDEX[f"{owner_field}_id"]] if owner_field else None,
                    due_at=sla_due_at(start=as_of, business_hours=rule.sla_business_hours, calendar=config.calendar),
                ))
    stats.accounts = len(accounts)

    if changed_accounts:
        bulk_update_rows(Account, changed_accounts, ACCOUNT_UPDATE_FIELDS)
    if transitions:
        bulk_insert_copy(StateTransition, transitions)
    if new_handoffs:
        # A new handoff supersedes a still-pending one of the same account.
        Handoff.objects.filter(
            account_id__in=[h.account_id for h in new_handoffs], status=Handoff.Status.PENDING
        ).update(status=Handoff.Status.SUPERSEDED)
        Handoff.objects.bulk_create(new_handoffs, batch_size=1000)
        stats.handoffs_created = len(new_handoffs)

    counts = _touch_counts(selection, as_of, config.requirements,
                           {account_id: step.state for account_id, step in steps.items()})
    touch_dates = _touch_dates(selection, as_of)
    coverage_rows: dict[tuple[int, str], tuple] = {}
    under_covered: list[domain.UnderCoverage] = []
    evaluations: list[tuple] = []
    owners = {row[0]: row for row in accounts}
    # Per state, its requirements with where their responsible role's owner is in an account's row (None: a role
    # without owners).
    specs_by_state = {
        state: [(spec, _OWNER_INDEX[f"{field}_id"] if (field := owner_field_for_role(spec.responsible_role)) else None)
                for spec in specs]
        for state, specs in config.requirements.items()
    }
    no_counts = (0, None, None, None)
    for account_id, step in steps.items():
        results = []
        row = owners[account_id]
        for spec, owner_index in specs_by_state.get(step.state, ()):
            counted, nth, last, oldest = counts.get((account_id, spec.code), no_counts)
            result = domain.evaluate_requirement(
                requirement=spec, counted=counted, nth_recent_on=nth, last_touch_on=last, as_of=as_of,
                state_since=step.since, state_initial=step.initial,
            )
            results.append((result, oldest))
            assignee_id = row[owner_index] if owner_index is not None else None
            coverage_rows[(account_id, spec.code)] = (
                step.state, spec.kind, spec.min_count, spec.window_days, result.counted, result.gap, result.status,
                result.last_touch_on, result.due_on, spec.responsible_role, assignee_id,
            )
            if result.status == domain.UNDER_COVERED:
                under_covered.append(domain.UnderCoverage(
                    account_id=account_id, state=step.state, requirement=spec.code,
                    responsible_role=spec.responsible_role, assignee_id=assignee_id, gap=result.gap,
                    counted=result.counted, last_touch_on=result.last_touch_on, window_days=spec.window_days,
                    icp_fit=fits[account_id], deal_amount=deals.get(account_id, NO_DEALS)[5],
                ))
        deal = deals.get(account_id, NO_DEALS)
        last_touch_on, next_touch_on = touch_dates.get(account_id, (None, None))
        due_on = domain.next_change_on(
            as_of=as_of, thresholds=thresholds, first_won_on=deal[0], latest_won_closed_on=deal[2],
            latest_won_contract_end=deal[3], requirements=results, state_since=step.since,
            next_dated_fact_on=_earliest(deal[6], leads.get(account_id, no_lead)[2], next_touch_on),
        )
        evaluations.append((account_id, due_on, step.state, domain.coverage_class([r.status for r, _ in results]),
                            last_touch_on))
    _write_coverage_rows(selection=selection, as_of=as_of, rows=coverage_rows)
    _write_evaluations(evaluations, after_night=after_night)

    opened, resolved = _apply_alerts(selection=selection, as_of=as_of, steps=steps, under_covered=under_covered,
                                     requirements=config.requirements)
    stats.alerts_opened, stats.alerts_resolved = opened, resolved
    return stats


def tune_transaction() -> None:
    """Planner settings for this transaction's chunk (PostgreSQL; SET LOCAL, so they end with it).

    A chunk's statements each read a few thousand rows by index. Parallel workers only add their start-up to
    that, and take the cores the other Celery workers' chunks run on (a chunk's deal aggregate: 77 ms with two
    parallel workers, 13 ms without). A random page read costs about what a sequential one does when the tables
    are cached, as a night's working set is: at the default 4× the planner chose bitmap scans of whole indexes
    over index probes.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute("SET LOCAL random_page_cost = 1.1")


def take_pending_accounts(selection: AccountSelection) -> list[int]:
    """Remove the selection's change marks (PendingAccount) and return their account ids. One statement.

    Evaluating an account starts with this: a change committed afterwards leaves a new mark for the next run, and
    a change committed before it is seen by the reads that follow (each statement reads what is committed).
    """
    where, params = selection.sql("account_id")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM engine_pendingaccount WHERE {where} RETURNING account_id", params)
        return [row[0] for row in cursor.fetchall()]


# The columns of the tuples `recompute_selection` builds; then the one value every row of a call shares.
EVALUATION_COLUMNS = ("account_id", "due_on", "state", "coverage", "last_touch_on")
EVALUATION_WRITTEN = (*EVALUATION_COLUMNS, "after_night")


def _write_evaluations(rows: Sequence[tuple], *, after_night: bool) -> None:
    """Each evaluated account's AccountEvaluation (tuples in EVALUATION_COLUMNS order, all with `after_night`),
    written only where it moved. One statement on PostgreSQL."""
    if not rows:
        return
    names = ", ".join(EVALUATION_WRITTEN)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in EVALUATION_WRITTEN[1:])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO engine_accountevaluation ({names}) "
                f"SELECT u.*, %s FROM unnest(%s::bigint[], %s::date[], %s::varchar[], %s::varchar[], %s::date[]) u "
                f"ORDER BY 1 "
                f"ON CONFLICT (account_id) DO UPDATE SET {updates} "
                f"WHERE ({', '.join(f'engine_accountevaluation.{c}' for c in EVALUATION_WRITTEN[1:])}) "
                f"IS DISTINCT FROM ({', '.join(f'EXCLUDED.{c}' for c in EVALUATION_WRITTEN[1:])})",
                [after_night, *(array_literal(column) for column in zip(*rows))],
            )
        else:
            cursor.executemany(
                f"INSERT INTO engine_accountevaluation ({names}) VALUES (%s, %s, %s, %s, %s, %s) "
                f"ON CONFLICT (account_id) DO UPDATE SET {updates}",
                [(a, date_param(due), state, coverage, date_param(last), after_night)
                 for a, due, state, coverage, last in rows],
            )


# CoverageRow columns compared and written, in the order of the tuples `recompute_selection` builds.
COVERAGE_VALUE_FIELDS = ("state", "kind", "min_count", "window_days", "counted", "gap", "status", "last_touch_on",
                         "due_on", "responsible_role", "assignee_id")


def _coverage_rows_of(selection: AccountSelection) -> Iterable[tuple]:
    """The selection's coverage rows as (id, account, requirement, *COVERAGE_VALUE_FIELDS) tuples: on PostgreSQL in
    one plain fetch (values as the pipeline builds them); elsewhere through the ORM, which reads SQLite's dates."""
    if connection.vendor != "postgresql":
        return selection.filter(CoverageRow.objects.all()).values_list(
            "id", "account_id", "requirement", *COVERAGE_VALUE_FIELDS).iterator(chunk_size=10_000)
    where, params = selection.sql("account_id")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, account_id, requirement, {', '.join(COVERAGE_VALUE_FIELDS)} "
                       f"FROM {CoverageRow._meta.db_table} WHERE {where}", params)
        return cursor.fetchall()


def _write_coverage_rows(*, selection: AccountSelection, as_of: dt.date, rows: dict[tuple[int, str], tuple]) -> None:
    """Bring the selection's coverage rows to `rows`: insert the new, rewrite the changed, delete the gone.

    A row whose figures did not move is not written (its `as_of` stays the date it last changed), so a quiet night
    writes little; three statements at most, whatever the number of rows.
    """
    stale_ids: list[int] = []
    changed: list[tuple] = []
    for row_id, account_id, requirement, *values in _coverage_rows_of(selection):
        new = rows.pop((account_id, requirement), None)
        if new is None:
            stale_ids.append(row_id)
        elif tuple(values) != new:
            changed.append((row_id, *new, as_of))
    if stale_ids:
        CoverageRow.objects.filter(id__in=stale_ids).delete()
    bulk_update_rows(CoverageRow, changed, [f.removesuffix("_id") for f in COVERAGE_VALUE_FIELDS] + ["as_of"])
    bulk_insert_rows(CoverageRow, ("account_id", "requirement", "as_of", *COVERAGE_VALUE_FIELDS), [
        (account_id, requirement, as_of, *values) for (account_id, requirement), values in rows.items()
    ])


def _apply_alerts(
    *, selection: AccountSelection, as_of: dt.date, steps: dict[int, domain.StateStep],
    under_covered: Sequence[domain.UnderCoverage], requirements: dict[str, tuple[domain.RequirementSpec, ...]],
) -> tuple[int, int]:
    open_rows = _open_alert_rows(selection)
    open_alerts = [row[:4] for row in open_rows]
    opened_on = {row[0]: row[4] for row in open_rows}
    current = {row[0]: row[5:] for row in open_rows}
    plan = domain.reconcile_alerts(
        open_alerts=[domain.OpenAlert._make(row) for row in open_alerts],
        under_covered=under_covered,
        current_state={account_id: step.state for account_id, step in steps.items()},
        requirement_codes_by_state={state: {s.code for s in specs} for state, specs in requirements.items()},
    )
    if plan.keep:
        # Only the kept alerts whose figures moved are rewritten; the others are not touched at all.
        moved = []
        for alert_id, u in plan.keep:
            values = _alert_values(u, opened_on=_as_date(opened_on[alert_id]))
            if current[alert_id] != values:
                moved.append((alert_id, *values, as_of))
        bulk_update_rows(Alert, moved, [f.removesuffix("_id") for f in ALERT_VALUE_FIELDS] + ["changed_on"])
    if plan.resolve:
        _resolve_alerts(plan.resolve, as_of)
    if plan.create:
        bulk_insert_rows(Alert, NEW_ALERT_FIELDS, [
            (u.account_id, u.state, u.requirement, Alert.Status.OPEN, "", as_of, as_of,
             *_alert_values(u, opened_on=as_of))
            for u in plan.create
        ])
    return len(plan.create), len(plan.resolve)


OPEN_ALERT_FIELDS = ("id", "account_id", "state", "requirement", "opened_on", "gap", "counted", "assignee_id",
                     "responsible_role", "state_weight", "fell_due_on", "icp_fit", "deal_amount")


def _open_alert_rows(selection: AccountSelection) -> list[tuple]:
    """The selection's open alerts, OPEN_ALERT_FIELDS per row.

    For a list of ids on PostgreSQL, one index probe per account (a LATERAL join over the array, kept from being
    flattened into a plain join by OFFSET 0): as `= ANY` or as a join, the planner could prefer reading every open
    alert and filtering.
    """
    if selection.ids is not None and selection.ids and connection.vendor == "postgresql":
        columns = ", ".join(f"a.{c}" for c in OPEN_ALERT_FIELDS)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM unnest(%s::bigint[]) AS s(account_id) CROSS JOIN LATERAL "
                f"(SELECT * FROM engine_alert WHERE account_id = s.account_id AND status = %s OFFSET 0) a",
                [selection.ids_array, Alert.Status.OPEN])
            return cursor.fetchall()
    return list(selection.filter(Alert.objects.filter(status=Alert.Status.OPEN)).values_list(*OPEN_ALERT_FIELDS))


def _resolve_alerts(resolutions: Sequence[tuple[int, str]], as_of: dt.date) -> None:
    """Resolve alerts as of D, each with its resolution; gap and assignee stay as last evaluated. One statement on
    PostgreSQL (by primary key, from arrays), one per resolution kind elsewhere."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE engine_alert AS a SET status = %s, resolved_on = %s, resolution = v.resolution "
                "FROM unnest(%s::bigint[], %s::varchar[]) AS v(id, resolution) "
                "WHERE a.id = v.id AND a.status = %s",
                [Alert.Status.RESOLVED, as_of, array_literal([r[0] for r in resolutions]),
                 array_literal([r[1] for r in resolutions]),
                 Alert.Status.OPEN])
        return
    by_resolution: dict[str, list[int]] = defaultdict(list)
    for alert_id, resolution in resolutions:
        by_resolution[resolution].append(alert_id)
    for resolution, ids in by_resolution.items():
        Alert.objects.filter(id__in=ids, status=Alert.Status.OPEN).update(
            status=Alert.Status.RESOLVED, resolved_on=as_of, resolution=resolution)


# The alert columns the pipeline rewrites when they moved, in the order `_apply_alerts` reads them.
ALERT_VALUE_FIELDS = ("gap", "counted", "assignee_id", "responsible_role", "state_weight", "fell_due_on", "icp_fit",
                      "deal_amount")


# A new alert's columns, in the order `_apply_alerts` writes them (the others are empty until acknowledged,
# snoozed or resolved).
NEW_ALERT_FIELDS = ("account_id", "state", "requirement", "status", "resolution", "opened_on", "changed_on",
                    *ALERT_VALUE_FIELDS)


def _alert_values(u: domain.UnderCoverage, *, opened_on: dt.date) -> tuple:
    """The values of ALERT_VALUE_FIELDS for an under-covered key."""
    return (
        u.gap, u.counted, u.assignee_id, u.responsible_role, domain.state_weight(u.state),
        domain.fell_due_on(last_touch_on=u.last_touch_on, window_days=u.window_days, opened_on=opened_on),
        u.icp_fit, u.deal_amount,
    )
