"""Every statement of the standards what-if (standards.whatif), one function each.

The what-if reads; it never writes. Two kinds of statement:

- **Both databases**: the touches of a few accounts (`touch_rows`), read when SQLite evaluates them in Python.
- **PostgreSQL only** (the incremental case of standards.whatif, which only PostgreSQL nights have — SQLite nights
  are always full, docs/architecture.md "Incremental nights"): the accounts the next night re-evaluates, the stored
  evaluations and open alerts per key, and the set-based count of the accounts the night leaves in their state
  (`counts_in_state`). Each says which index or tally serves it.

Dates go in as dates on PostgreSQL and as ISO text on SQLite (core.bulk.date_param).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.db import connection, transaction

from core.bulk import array_literal, date_param
from core.choices import State, owner_field_for_role
from core.dbsettings import settings_for_block
from engine import domain
from engine.statements import AccountSelection, as_date
from engine.tallies import EVALUATIONS
from profiles import fit_sql
from profiles.scoring import NO_FIT, ProfileSpec


def next_night_account_ids(as_of: dt.date) -> list[int]:
    """The accounts an incremental night as of D re-evaluates (as engine.services plans it): those with a change
    mark (engine_pendingaccount) and those whose next change date has come (engine_accountevaluation.due_on ≤ D,
    one scan of the evaluations). Sorted."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT account_id FROM engine_accountevaluation WHERE due_on <= %s "
                       "UNION SELECT account_id FROM engine_pendingaccount ORDER BY 1", [as_of])
        return [row[0] for row in cursor.fetchall()]


# The accounts the next night re-evaluates, each with whether its state may move (docs/rules.md §2–§3). A state is
# decided from the account's deals, leads and own columns and from dates; without a change mark none of that data
# changed since the account's latest evaluation (as of some T), so its state as of D differs only where a dated rule
# crossed its threshold in (T, D]. The evaluation's due date is the first date after T on which any of its rules can
# cross (engine.domain.next_change_on), so such a crossing lies in [due_on, D]: a deal opened or closed then, a
# contract end passed (end + 1), a won deal's close leaving the churn window, the onboarding window or reaching the
# loyal tenure (close + days), a lead created or closed. Checked on every deal and lead, not only the latest won one
# the rules read: more accounts than needed may be flagged, never fewer. By index (opp_account_opened_idx,
# lead_account_created_idx), one probe per due account without a change mark.
_NEXT_NIGHT = """
    SELECT account_id, TRUE FROM engine_pendingaccount
    UNION ALL
    SELECT e.account_id,
           EXISTS (SELECT 1 FROM accounts_opportunity o
                   WHERE o.account_id = e.account_id
                         AND (o.opened_on BETWEEN e.due_on AND %(d)s OR o.closed_on BETWEEN e.due_on AND %(d)s
                              OR o.contract_end BETWEEN e.due_on - 1 AND %(d)s - 1
                              OR o.closed_on BETWEEN e.due_on - %(churn)s AND %(d)s - %(churn)s
                              OR o.closed_on BETWEEN e.due_on - %(onboarding)s AND %(d)s - %(onboarding)s
                              OR o.closed_on BETWEEN e.due_on - %(tenure)s AND %(d)s - %(tenure)s))
           OR EXISTS (SELECT 1 FROM accounts_lead l
                      WHERE l.account_id = e.account_id
                            AND (l.created_on BETWEEN e.due_on AND %(d)s OR l.closed_on BETWEEN e.due_on AND %(d)s))
    FROM engine_accountevaluation e
    WHERE e.due_on <= %(d)s
          AND NOT EXISTS (SELECT 1 FROM engine_pendingaccount p WHERE p.account_id = e.account_id)
    ORDER BY 1
"""


def next_night_accounts(as_of: dt.date, thresholds: domain.Thresholds) -> tuple[list[int], list[int]]:
    """The accounts an incremental night as of D re-evaluates (next_night_account_ids), and those among them whose
    state may move (a change mark, or a dated rule of their state crossing since their latest evaluation; see
    _NEXT_NIGHT): every other one keeps its stored state, for sure. Both sorted; one statement."""
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_NIGHT, _rule_params(as_of, thresholds))
        rows = cursor.fetchall()
    return [row[0] for row in rows], [row[0] for row in rows if row[1]]


# Which of the listed accounts' states may move as of D: each one's state decided in SQL — the twin of
# engine.domain.facts_from_aggregates and decide_state (docs/rules.md §2–§3) over the deal and lead aggregates
# engine.statements.deal_facts and lead_facts read — against its stored state. Listed: a state that differs, an
# account never evaluated (no state, no state_since), and an ICP fit the fit SQL leaves to Python (NULL); the caller
# decides those in Python, the reference. tests/standards/test_whatif_states.py holds the twin to decide_state.
_STATES = """
    WITH deal AS (
        SELECT account_id,
               MIN(closed_on) FILTER (WHERE {won}) AS first_won_on,
               COUNT(*) FILTER (WHERE {won}) AS won_count,
               MAX(closed_on) FILTER (WHERE {won}) AS latest_won_on,
               MAX(contract_end) FILTER (WHERE {won}) AS latest_contract_end,
               COUNT(*) FILTER (WHERE opened_on <= %(d)s AND (closed_on IS NULL OR closed_on > %(d)s)) AS open_deals
        FROM accounts_opportunity WHERE account_id = ANY(%(ids)s::bigint[]) GROUP BY account_id
    ),
    lead AS (
        SELECT account_id, COUNT(*) AS open_leads, MAX(score) AS max_score
        FROM accounts_lead
        WHERE account_id = ANY(%(ids)s::bigint[]) AND created_on <= %(d)s AND (closed_on IS NULL OR closed_on > %(d)s)
        GROUP BY account_id
    ),
    facts AS (
        SELECT a.id, a.state, a.state_since, a.is_target, {fit} AS fit, deal.first_won_on,
               COALESCE(deal.won_count, 0) AS won_count, COALESCE(deal.open_deals, 0) AS open_deals,
               COALESCE(lead.open_leads, 0) AS open_leads, lead.max_score,
               COALESCE(deal.won_count, 0) > 0 AND (deal.latest_contract_end >= %(d)s
                   OR deal.latest_won_on BETWEEN %(d)s - (%(churn)s - 1) AND %(d)s) AS active
        FROM accounts_account a {fit_join}
        LEFT JOIN deal ON deal.account_id = a.id LEFT JOIN lead ON lead.account_id = a.id
        WHERE a.id = ANY(%(ids)s::bigint[])
    )
    SELECT id FROM facts
    WHERE state = '' OR state_since IS NULL OR fit IS NULL OR state <> CASE
        WHEN active AND first_won_on BETWEEN %(d)s - (%(onboarding)s - 1) AND %(d)s THEN 'ONBOARDING'
        WHEN active AND first_won_on <= %(d)s - %(tenure)s AND won_count >= %(min_won)s THEN 'LOYAL'
        WHEN active THEN 'ACTIVE'
        WHEN open_deals > 0 THEN 'NEGOTIATION'
        WHEN won_count >= 1 THEN 'CHURNED'
        WHEN open_leads > 0 AND max_score >= %(hot)s THEN 'HOT_LEAD'
        WHEN open_leads > 0 AND fit >= %(high_potential)s THEN 'HIGH_POTENTIAL_LEAD'
        WHEN open_leads > 0 THEN 'LEAD'
        WHEN is_target THEN 'TARGET_NO_LEAD'
        ELSE 'OUT_OF_SCOPE' END
    ORDER BY id
"""


def states_may_move(ids: Sequence[int], as_of: dt.date, thresholds: domain.Thresholds,
                    profiles: Sequence[ProfileSpec]) -> list[int]:
    """Of the accounts `ids`, those whose state as of D may differ from their stored one (see _STATES): the others'
    state, state_since and initial flag stay as stored, as the night's engine.domain.advance_state keeps them. Sorted;
    one statement, the ICP fit under the active `profiles` computed in it (profiles.fit_sql, as the night reads it)."""
    if not ids:
        return []
    params = {"ids": array_literal(list(ids)), **_rule_params(as_of, thresholds)}
    fit, fit_join = str(NO_FIT.fit), ""
    if profiles:
        fit_rows, fit_params = fit_sql.best_fit_rows_sql(profiles, exclude=fit_sql.inexact_condition(profiles),
                                                         ids=ids)
        # Its own placeholders are positional: inlined as named ones, in order.
        for i, value in enumerate(fit_params):
            params[f"fit{i}"] = value
        fit_rows = fit_rows.replace("%%", "%%%%") % tuple(f"%(fit{i})s" for i in range(len(fit_params)))
        fit, fit_join = "v.fit", f"LEFT JOIN ({fit_rows}) v ON v.id = a.id"
    won = "status = 'won' AND closed_on IS NOT NULL AND closed_on <= %(d)s"
    return [row[0] for row in _fetch_in_parallel(_STATES.format(won=won, fit=fit, fit_join=fit_join), params)]


def _rule_params(as_of: dt.date, thresholds: domain.Thresholds) -> dict:
    """The state rules' named parameters in _NEXT_NIGHT and _STATES: D and each threshold (docs/rules.md §3)."""
    return {"d": as_of, "churn": thresholds.churn_after_days, "onboarding": thresholds.onboarding_days,
            "tenure": thresholds.loyal_min_tenure_days, "min_won": thresholds.loyal_min_won_deals,
            "hot": thresholds.hot_lead_min_score, "high_potential": thresholds.high_potential_min_fit}


# For the statements that visit tens of thousands of accounts one by one (counts_in_state, states_may_move): parallel
# workers planned whenever they can share the accounts out, as the floor's plan has them (on the bench, 1M accounts:
# the changed state's count 3.6 → 2.5 s with two workers on a busy machine), and room to group in memory. For the
# statement only (core.dbsettings).
PARALLEL = {"parallel_setup_cost": "0", "parallel_tuple_cost": "0", "min_parallel_table_scan_size": "0",
            "work_mem": "64MB"}


def _fetch_in_parallel(sql: str, params) -> list[tuple]:
    with transaction.atomic(), connection.cursor() as cursor, settings_for_block(cursor, **PARALLEL):
        cursor.execute(sql, params)
        return cursor.fetchall()


def evaluation_counts() -> dict[tuple[str, str], int]:
    """(state, coverage class) -> accounts, over every stored evaluation: from the EVALUATIONS tally with its
    changes not folded in yet (a few thousand rows; engine.tallies)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT state, coverage, SUM(accounts) FROM {EVALUATIONS.current_sql()} e "
                       f"GROUP BY 1, 2 HAVING SUM(accounts) <> 0")
        return {(state, coverage): int(n) for state, coverage, n in cursor.fetchall()}


def evaluation_counts_of(ids: Sequence[int]) -> dict[tuple[str, str], int]:
    """(state, coverage class) -> accounts among the stored evaluations of `ids` (by primary key)."""
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT state, coverage, COUNT(*) FROM engine_accountevaluation "
                       "WHERE account_id = ANY(%s::bigint[]) GROUP BY 1, 2", [array_literal(ids)])
        return {(state, coverage): int(n) for state, coverage, n in cursor.fetchall()}


def open_alert_counts_of(ids: Sequence[int]) -> dict[tuple[str, str, int | None], int]:
    """(state, responsible role, assignee id) -> open alerts of the accounts `ids` (alert_one_open_per_key, one
    probe per account)."""
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.state, a.responsible_role, a.assignee_id, COUNT(*) FROM unnest(%s::bigint[]) AS s(account_id) "
            "CROSS JOIN LATERAL (SELECT * FROM engine_alert WHERE account_id = s.account_id AND status = 'open' "
            "OFFSET 0) a GROUP BY 1, 2, 3", [array_literal(ids)])
        return {(state, role, assignee): int(n) for state, role, assignee, n in cursor.fetchall()}


def open_alert_counts_in_states(states: Sequence[str]) -> dict[tuple[str, str, int | None], int]:
    """(state, responsible role, assignee id) -> open alerts whose state is one of `states` (one scan of the open
    alerts)."""
    if not states:
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT state, responsible_role, assignee_id, COUNT(*) FROM engine_alert "
                       "WHERE status = 'open' AND state = ANY(%s::text[]) GROUP BY 1, 2, 3", [array_literal(states)])
        return {(state, role, assignee): int(n) for state, role, assignee, n in cursor.fetchall()}


# The accounts to count (`a`: those the night leaves in their stored state), each requirement of their state in a
# side's standards met, in grace or under-covered (docs/rules.md §4): met when at least min_count touches of its kind
# (and performer roles) are dated within [D − p + 1, D]; grace when the state was entered by a transition and fewer
# than p of its days have passed. Then per account its coverage class (§9) and its under-covered requirements (a bit
# per requirement of its state), each an alert to the account's owner for the requirement's responsible role (§5);
# counted per (state, class, bits, owners).
# One probe per account on touch_nightly_counting_idx (account, date, kind): its touches from the earliest window
# start of its state's requirements to D (none for a state without requirements), each requirement's count a FILTER
# of them — one aggregate per account, in a plain join that PostgreSQL shares out among its parallel workers (a
# lateral subquery per account would run in the leader only). Room to group in memory (work_mem, PARALLEL).
_COUNTS = """
    SELECT state, coverage, under, {owner_keys}, COUNT(*)
    FROM (
        SELECT c.state, {owner_columns}, {coverage} AS coverage, {under} AS under
        FROM (
            SELECT a.id, a.state, a.state_initial, a.state_since, {account_owners}, {counts}
            FROM accounts_account a
            LEFT JOIN contacts_touch t ON t.account_id = a.id AND t.occurred_on BETWEEN {window_start} AND %s
            WHERE {accounts}
            GROUP BY a.id
        ) c
    ) x
    GROUP BY {group}
"""


def _status_sql(column: str, spec: domain.RequirementSpec, as_of: dt.date) -> str:
    """0 met, 1 grace, 2 under-covered: one requirement of the account's state, from its counted touches."""
    return (f"(CASE WHEN c.{column} >= {int(spec.min_count)} THEN 0 WHEN NOT c.state_initial AND "
            f"(DATE '{as_of.isoformat()}' - c.state_since) + 1 < {int(spec.window_days)} THEN 1 ELSE 2 END)")


def _count_columns(specs, column: Mapping, as_of: dt.date) -> tuple[list[str], list]:
    """Each requirement's counted touches of an account, a FILTER of the touches its probe read."""
    counts, params = [], []
    for state, i, spec in specs:
        roles = " AND t.performer_role = ANY(%s::text[])" if spec.performer_roles else ""
        counts.append(f"COUNT(*) FILTER (WHERE a.state = %s AND t.kind = %s AND t.occurred_on >= %s{roles}) "
                      f"AS {column[(state, i)]}")
        params += [state, spec.kind, spec.window_start(as_of)]
        params += [array_literal(list(spec.performer_roles))] if spec.performer_roles else []
    return counts, params


def _window_start(states: Sequence[str], requirements: Mapping, as_of: dt.date) -> tuple[str, list]:
    """The first date an account's probe reads: its state's earliest window start; after D (none) without
    requirements."""
    starts = " ".join("WHEN %s THEN CAST(%s AS date)" for _ in states)
    sql = f"CASE a.state {starts} ELSE CAST(%s AS date) END" if states else "CAST(%s AS date)"
    params = [value for state in states for value in (state, min(spec.window_start(as_of)
                                                                 for spec in requirements[state]))]
    return sql, params + [as_of + dt.timedelta(days=1)]


def _classes(states: Sequence[str], requirements: Mapping, column: Mapping,
             as_of: dt.date) -> tuple[list[str], list[str], list]:
    """Per state, the coverage class of an account (its worst requirement) and its under-covered requirements' bits:
    CASE branches on the state, and their parameters (each state's, once per list)."""
    coverage, under, params = [], [], []
    for state in states:
        statuses = [_status_sql(column[(state, i)], spec, as_of) for i, spec in enumerate(requirements[state])]
        worst = f"GREATEST({', '.join(statuses)})"
        coverage.append(f"WHEN %s THEN (CASE {worst} WHEN 2 THEN 'under_covered' WHEN 1 THEN 'grace' "
                        f"ELSE 'compliant' END)")
        under.append("WHEN %s THEN " + " + ".join(f"(CASE WHEN {status} = 2 THEN {1 << i} ELSE 0 END)"
                                                  for i, status in enumerate(statuses)))
        params.append(state)
    return coverage, under, params


def counts_in_state(
    *, as_of: dt.date, requirements: Mapping[str, Sequence[domain.RequirementSpec]], states: Sequence[str] | None = None,
    ids: Sequence[int] | None = None, excluded_ids: Sequence[int] = (),
) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str, int | None], int]]:
    """As the next night as of D would find them under `requirements` (a side's standards), if it leaves them in their
    stored state: the accounts stored in one of `states` (all states when None), among `ids` (when given), not in
    `excluded_ids` — (state, coverage class) -> accounts and (state, responsible role, assignee id) -> alerts.
    One statement."""
    if (states is not None and not states) or (ids is not None and not ids):
        return {}, {}
    where, account_params = [], []
    for condition, value in (("a.state = ANY(%s::text[])", states), ("a.id = ANY(%s::bigint[])", ids),
                             ("NOT (a.id = ANY(%s::bigint[]))", excluded_ids or None)):
        if value is not None:
            where.append(condition)
            account_params.append(array_literal(list(value)))
    counted_states = [s for s in (states if states is not None else State.values) if requirements.get(s)]
    specs = [(state, i, spec) for state in counted_states for i, spec in enumerate(requirements[state])]
    column = {(state, i): f"n{k}" for k, (state, i, _spec) in enumerate(specs)}
    counts, count_params = _count_columns(specs, column, as_of)
    window_start, start_params = _window_start(counted_states, requirements, as_of)
    coverage, under, class_params = _classes(counted_states, requirements, column, as_of)
    owner_fields = {role: field for role in {spec.responsible_role for _, _, spec in specs}
                    if (field := owner_field_for_role(role))}
    columns = sorted(set(owner_fields.values()))
    position = {field: i for i, field in enumerate(columns)}
    owners = [f"{field}_id" for field in columns] or ["no_owner"]
    sql = _COUNTS.format(
        owner_keys=", ".join(owners), owner_columns=", ".join(f"c.{o}" for o in owners),
        account_owners=", ".join(f"a.{field}_id" for field in columns) or "NULL AS no_owner",
        coverage=f"CASE c.state {' '.join(coverage)} ELSE '' END" if coverage else "''",
        under=f"CASE c.state {' '.join(under)} ELSE 0 END" if under else "0",
        counts=", ".join(counts) or "COUNT(t.account_id) AS touches", window_start=window_start,
        group=", ".join(str(n) for n in range(1, 4 + len(owners))), accounts=" AND ".join(where) or "TRUE")
    params = class_params + class_params + count_params + start_params + [as_of] + account_params
    classes: dict[tuple[str, str], int] = {}
    alerts: dict[tuple[str, str, int | None], int] = {}
    role_of = {(state, i): spec.responsible_role for state, i, spec in specs}
    for state, coverage_class, bits, *owner_ids, n in _fetch_in_parallel(sql, params):
        classes[(state, coverage_class)] = classes.get((state, coverage_class), 0) + n
        for role in (role_of[(state, i)] for i in range(len(requirements.get(state, ()))) if (bits or 0) >> i & 1):
            field = owner_fields.get(role)
            key = (state, role, owner_ids[position[field]] if field else None)
            alerts[key] = alerts.get(key, 0) + n
    return classes, alerts


def touch_rows(selection: AccountSelection, as_of: dt.date) -> list[tuple[int, dt.date, str, str]]:
    """(account id, date, kind, performer role) of the selection's touches dated on or before D
    (touch_nightly_counting_idx). The same statement on both databases."""
    where, params = selection.sql("account_id")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT account_id, occurred_on, kind, performer_role FROM contacts_touch "
                       f"WHERE {where} AND occurred_on <= %s", params + [date_param(as_of)])
        return [(row[0], as_date(row[1]), row[2], row[3]) for row in cursor.fetchall()]
