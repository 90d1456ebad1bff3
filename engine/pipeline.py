"""The set-based path of the nightly recompute: one chunk of accounts, a fixed number of queries.

`recompute_selection` reads top-down, one named step each: take the accounts' change marks, read the accounts
with their ICP fit and their deals and leads (facts), decide states (engine.domain), write states, transitions
and handoffs, evaluate coverage (touches counted per account and requirement in one query), write coverage rows
and each account's AccountEvaluation, reconcile alerts. Every statement is in engine.statements, every row a
named record of engine.records. The caller wraps a chunk in one transaction, so a chunk that dies leaves nothing
behind and a chunk run twice for the same date changes nothing.

An account whose evaluation raises in Python is left out of the chunk's writes, as it was, and named in
`ChunkStats.failed` (its error); the rest of the chunk goes on. The per-account loops catch it (a `try` costs nothing
until it raises). A failing statement fails the whole selection: recompute_isolating_failures finds the accounts
behind it, each part of the selection in its own savepoint.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from accounts.models import Account
from core.bulk import bulk_insert_copy, bulk_insert_rows, bulk_update_rows, cyclic_gc_paused
from core.choices import owner_field_for_role
from handoffs.calendar import BusinessCalendar, escalation_time, sla_due_at
from handoffs.domain import RuleSpec, load_rule_specs, pick_rule
from handoffs.models import Handoff
from handoffs.selectors import handoff_lead_sources
from handoffs.services import resolve_alerts_of_earlier_handoffs
from profiles.scoring import (
    ProfileSpec, account_attributes, attribute_fields_read_by, best_fit, load_active_profile_specs, matched_unchanged,
)
from segments.models import StateThresholds, StateTransition
from standards.selectors import requirement_specs_by_state

from . import domain, statements
from .models import Alert, CoverageRow
from .records import (
    ACCOUNT_UPDATE_FIELDS, ALERT_VALUE_FIELDS, COVERAGE_VALUE_FIELDS, NEW_ALERT_FIELDS, NO_DEALS, NO_LEADS,
    NO_TOUCH_DATES, NO_TOUCHES, OPEN_ALERT_VALUES, OWNER_INDEX, AccountRow, AccountUpdate, AlertValues,
    CoverageValues, DealFacts, EvaluationRow, LeadFacts, TouchCounts, earliest, row_maker,
)
from .statements import AccountSelection, take_pending_accounts

# The records made a few times per account, made in C from a tuple in the record's field order (row_maker).
_coverage_values, _evaluation_row, _alert_values_of = (
    row_maker(CoverageValues), row_maker(EvaluationRow), row_maker(AlertValues))


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
    # Accounts whose evaluation raised: account id -> the error. Left as they were; counted nowhere else.
    failed: dict[int, str] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "accounts": self.accounts, "transitions": self.transitions, "handoffs_created": self.handoffs_created,
            "alerts_opened": self.alerts_opened, "alerts_resolved": self.alerts_resolved, "by_state": self.by_state,
            "failed": len(self.failed),
        }

    def add(self, other: ChunkStats) -> None:
        """Add the figures of another part of the same chunk (engine.services, isolating a failing account)."""
        self.accounts += other.accounts
        self.transitions += other.transitions
        self.handoffs_created += other.handoffs_created
        self.alerts_opened += other.alerts_opened
        self.alerts_resolved += other.alerts_resolved
        for state, count in other.by_state.items():
            self.by_state[state] = self.by_state.get(state, 0) + count
        self.failed.update(other.failed)


class AccountsFailed(Exception):
    """Accounts whose coverage evaluation raised after the chunk had written their states: the chunk's savepoint
    must be rolled back and the selection run again without them (engine.pipeline.recompute_isolating_failures)."""

    def __init__(self, failed: dict[int, str]):
        super().__init__(f"{len(failed)} account(s) failed: {', '.join(map(str, sorted(failed)[:10]))}")
        self.failed = dict(failed)


def error_text(exc: BaseException) -> str:
    """How a failed account's error is recorded (engine.RecomputeFailure.error): its type and message."""
    return f"{type(exc).__name__}: {exc}"[:2000]


@dataclass
class ChunkFacts:
    """What a chunk reads about its accounts: their rows with the new ICP fit, their deals and leads as of D."""

    accounts: list[AccountRow]
    deals: dict[int, DealFacts]
    leads: dict[int, LeadFacts]


@dataclass
class StateDecisions:
    """Each account's new state step, and the writes it calls for (only where something moved)."""

    steps: dict[int, domain.StateStep] = field(default_factory=dict)
    updates: list[AccountUpdate] = field(default_factory=list)
    transitions: list[StateTransition] = field(default_factory=list)
    handoffs: list[Handoff] = field(default_factory=list)


@dataclass
class CoverageEvaluation:
    """Each (account, requirement)'s coverage row, the under-covered keys alerts follow, each account's evaluation."""

    rows: dict[tuple[int, str], CoverageValues] = field(default_factory=dict)
    under_covered: list[domain.UnderCoverage] = field(default_factory=list)
    evaluations: list[EvaluationRow] = field(default_factory=list)


@cyclic_gc_paused()  # a chunk's rows as tuples, none in a cycle: see cyclic_gc_paused
def recompute_selection(*, selection: AccountSelection, as_of: dt.date, config: EngineConfig | None = None,
                        take_pending: bool = True, after_night: bool = False) -> ChunkStats:
    """Recompute the selected accounts as of D. Call inside a transaction. `take_pending=False` leaves the
    selection's change marks alone: the caller took them already, or leaves them for the next run. `after_night`:
    a logged touch's evaluation, made after the night (AccountEvaluation.after_night)."""
    config = config or EngineConfig.load()
    stats = ChunkStats()
    statements.tune_transaction()
    # First, before any data is read: a change committed from here on leaves a new mark for the next run.
    if take_pending:
        take_pending_accounts(selection)
    facts = read_facts(selection, as_of, config.profiles, failed=stats.failed)
    if not facts.accounts:
        return stats
    decided = decide_states(facts, config=config, as_of=as_of, stats=stats)
    stats.handoffs_created = _write_states(decided)
    failed_before = len(stats.failed)
    evaluated = _evaluate_coverage(selection, facts, decided.steps, config=config, as_of=as_of, failed=stats.failed)
    if len(stats.failed) > failed_before:
        # Their new states are written: the caller rolls the selection back and runs it again without them.
        raise AccountsFailed(stats.failed)
    stats.accounts = len(evaluated.evaluations)
    _write_coverage_rows(selection=selection, as_of=as_of, rows=evaluated.rows, failed=stats.failed)
    statements.write_evaluations(evaluated.evaluations, after_night=after_night)
    stats.alerts_opened, stats.alerts_resolved = _reconcile_alerts(
        selection=selection, as_of=as_of, steps=decided.steps, under_covered=evaluated.under_covered,
        requirements=config.requirements, failed=stats.failed)
    return stats


# Accounts a chunk may fail before it fails whole: more is no bad value in a few accounts but a fault of the code or
# the configuration, which must stop the night where it can be seen (and finding each one costs a few statements).
MAX_FAILED_ACCOUNTS_PER_CHUNK = 50
# Errors that say nothing about an account: the connection lost, a lock or statement timeout, a transaction that
# can no longer be used. They fail the chunk (and its run) instead of being blamed on accounts.
_NOT_AN_ACCOUNT = (OperationalError, InterfaceError, TransactionManagementError)


class TooManyFailures(Exception):
    """More than MAX_FAILED_ACCOUNTS_PER_CHUNK accounts of one chunk failed."""


def recompute_isolating_failures(*, selection: AccountSelection, as_of: dt.date, config: EngineConfig | None = None,
                                 after_night: bool = False) -> ChunkStats:
    """recompute_selection (its change marks already taken by the caller) in a savepoint, so that one account cannot
    stop the others: an account whose evaluation raises in Python is left out (ChunkStats.failed); a statement that
    fails (a value out of its column's range, a constraint) rolls the savepoint back, and the selection is run again
    in halves, each in its own savepoint, down to the accounts that fail alone. Call inside a transaction.

    Without a failure this is recompute_selection and two statements (SAVEPOINT, RELEASE)."""
    config = config or EngineConfig.load()
    stats = _recompute_in_savepoint(selection, as_of=as_of, config=config, after_night=after_night)
    if len(stats.failed) > MAX_FAILED_ACCOUNTS_PER_CHUNK:
        raise TooManyFailures(f"{len(stats.failed)} accounts failed, for instance {_examples(stats.failed)}")
    return stats


def _recompute_in_savepoint(selection: AccountSelection, *, as_of: dt.date, config: EngineConfig,
                            after_night: bool) -> ChunkStats:
    try:
        with transaction.atomic():
            return recompute_selection(selection=selection, as_of=as_of, config=config, take_pending=False,
                                       after_night=after_night)
    except _NOT_AN_ACCOUNT:
        raise
    except AccountsFailed as failed:  # rolled back: again without the accounts named
        if connection.needs_rollback:
            raise
        rest = [account_id for account_id in _selection_ids(selection) if account_id not in failed.failed]
        stats = _recompute_in_savepoint(AccountSelection(ids=tuple(rest)), as_of=as_of, config=config,
                                        after_night=after_night) if rest else ChunkStats()
        stats.failed.update(failed.failed)
        return stats
    except Exception as exc:
        if connection.needs_rollback:  # the savepoint itself could not be rolled back: the transaction is lost
            raise
        ids = _selection_ids(selection)
        if len(ids) <= 1:
            return ChunkStats(failed={account_id: error_text(exc) for account_id in ids})
        stats = ChunkStats()
        middle = len(ids) // 2
        for part in (ids[:middle], ids[middle:]):
            stats.add(_recompute_in_savepoint(AccountSelection(ids=tuple(part)), as_of=as_of, config=config,
                                              after_night=after_night))
            if len(stats.failed) > MAX_FAILED_ACCOUNTS_PER_CHUNK:
                raise TooManyFailures(
                    f"more than {MAX_FAILED_ACCOUNTS_PER_CHUNK} accounts failed, for instance "
                    f"{_examples(stats.failed)}") from exc
        return stats


def _selection_ids(selection: AccountSelection) -> list[int]:
    """The ids of the selection's accounts (a range is read: its ids may have gaps)."""
    if selection.ids is not None:
        return list(selection.ids)
    return list(Account.objects.filter(id__gte=selection.first_id, id__lte=selection.last_id)
                .order_by("id").values_list("id", flat=True))


def _examples(failed: dict[int, str]) -> str:
    return "; ".join(f"account {account_id}: {error}" for account_id, error in sorted(failed.items())[:3])


# --- read facts ----------------------------------------------------------------------------------------------------


def read_facts(selection: AccountSelection, as_of: dt.date, profiles: Sequence[ProfileSpec], *,
               failed: dict[int, str]) -> ChunkFacts:
    """What the night reads about the selection's accounts before deciding their states (docs/rules.md §2, §6): each
    account's stored row with its new ICP fit under `profiles` (computed in SQL; the few the SQL might read
    differently scored by profiles.scoring.best_fit), then — only when there are any accounts — their deals and
    leads aggregated as of D. Three or four statements, whatever the selection's size; reads only, writes nothing.

    An account `best_fit` cannot score is left out and named in `failed` (account id -> the error). The nightly
    chunk reads its facts here, and so may anything that must decide states exactly as the night will (the
    standards what-if, standards.whatif)."""
    accounts = _read_accounts(selection, profiles, failed=failed)
    if not accounts:
        return ChunkFacts(accounts=[], deals={}, leads={})
    return ChunkFacts(accounts=accounts, deals=statements.deal_facts(selection, as_of),
                      leads=statements.lead_facts(selection, as_of))


def _read_accounts(selection: AccountSelection, profiles: Sequence[ProfileSpec], *,
                   failed: dict[int, str]) -> list[AccountRow]:
    """The selection's accounts with their new ICP fit (engine.statements.read_accounts, computed in SQL).

    Accounts whose values the SQL might read differently come back with no fit and are scored by best_fit itself,
    read in one more query only when the chunk has any; one best_fit cannot score is left out, in `failed`.
    """
    rows = statements.read_accounts(selection, profiles)
    in_python = [row.id for row in rows if row.new_fit is None]
    if not in_python:
        return rows
    # The accounts SQL might read differently: best_fit on their values, as Django reads them.
    scored = {}
    attributes = attribute_fields_read_by(profiles)
    for values in Account.objects.filter(id__in=in_python).values("id", *attributes):
        try:
            fit = best_fit(account_attributes(values), profiles)
            scored[values["id"]] = {"new_fit": fit.fit, "new_profile_id": fit.profile_id, "new_tier": fit.tier,
                                    "new_matched": json.dumps(list(fit.matched))}
        except Exception as exc:  # this account only: the chunk goes on without it (engine.services records it)
            failed[values["id"]] = error_text(exc)
    return [row._replace(**scored[row.id]) if row.new_fit is None else row for row in rows
            if row.id in scored or row.new_fit is not None]


def _matched_list(text: str) -> list[int]:
    """The matched criteria of a JSON list of integers as the fit SQL prints it ("[0,2]")."""
    inner = text.strip()[1:-1]
    return [int(x) for x in inner.split(",")] if inner.strip() else []


# --- decide states -------------------------------------------------------------------------------------------------


def decide_step(row: AccountRow, deal: DealFacts, lead: LeadFacts, thresholds: domain.Thresholds,
                as_of: dt.date) -> tuple[domain.AccountFacts, str, domain.StateStep]:
    """One account's facts as of D from its row, deals and leads, its state by the first rule that matches (with that
    rule's name) and its step from the stored state (docs/rules.md §2–§3): how the night decides each account, and
    so how anything must that decides states as the night will (standards.whatif). (Positional arguments: called for
    every account.)"""
    account_facts = domain.facts_from_aggregates(
        as_of=as_of, thresholds=thresholds, first_won_on=deal.first_won_on, won_count=deal.won_count,
        latest_won_closed_on=deal.latest_won_on, latest_won_contract_end=deal.latest_contract_end,
        open_deals=deal.open_deals, open_leads=lead.open_leads, max_open_lead_score=lead.max_open_score,
        icp_fit=row.new_fit, is_target=bool(row.is_target),
    )
    state, rule_name = domain.decide_state(account_facts, thresholds, as_of)
    step = domain.advance_state(previous_state=row.state, previous_since=row.state_since,
                                previous_initial=row.state_initial, new_state=state, as_of=as_of)
    return account_facts, rule_name, step


def decide_states(facts: ChunkFacts, *, config: EngineConfig, as_of: dt.date, stats: ChunkStats) -> StateDecisions:
    """Each account's state as of D (docs/rules.md §3) and its step from the stored one; the account's new columns
    where its state or fit moved, a transition where its state changed, a handoff where a rule routes it (§8)."""
    decided = StateDecisions()
    steps, by_state, thresholds, failed = decided.steps, stats.by_state, config.thresholds, stats.failed
    deals, leads = facts.deals, facts.leads
    for row in facts.accounts:
        account_id = row.id
        # Everything that can raise first, into locals; the chunk's lists are appended to only once it all worked.
        try:
            account_facts, rule_name, step = decide_step(
                row, deals.get(account_id, NO_DEALS), leads.get(account_id, NO_LEADS), thresholds, as_of)
            state = step.state
            update = AccountUpdate(
                account_id, step.state, step.since, step.initial, as_of, row.new_fit, row.new_profile_id, row.new_tier,
                _matched_list(row.new_matched)) if _account_moved(row, step) else None
            transition = StateTransition(
                account_id=account_id, as_of=as_of, from_state=row.state, to_state=state, rule=rule_name,
                facts=account_facts.as_json()) if row.state != state else None
            handoff = _new_handoff(row, state, config=config, as_of=as_of) if step.transitioned else None
        except Exception as exc:  # this account only: left as it was, the chunk goes on (engine.services records it)
            failed[account_id] = error_text(exc)
            continue
        steps[account_id] = step
        by_state[state] = by_state.get(state, 0) + 1
        if update is not None:
            decided.updates.append(update)
        if transition is not None:
            decided.transitions.append(transition)
        if step.transitioned:
            stats.transitions += 1
            if handoff is not None:
                decided.handoffs.append(handoff)
    if failed:  # the later steps read only the accounts decided
        facts.accounts = [row for row in facts.accounts if row.id in steps]
    return decided


def _account_moved(row: AccountRow, step: domain.StateStep) -> bool:
    """Whether the account's stored state or ICP fit differs from the new ones (its matched criteria compared as
    text first: PostgreSQL and SQLite print JSON differently)."""
    if (row.state != step.state or row.state_since != step.since or row.state_initial != step.initial
            or row.icp_fit != row.new_fit or row.icp_profile_id != row.new_profile_id or row.icp_tier != row.new_tier):
        return True
    old, new = row.icp_matched, row.new_matched
    return old is None or (old.replace(" ", "") != new.replace(" ", "")
                           and not matched_unchanged(old, _matched_list(new)))


def _new_handoff(row: AccountRow, state: str, *, config: EngineConfig, as_of: dt.date) -> Handoff | None:
    """The handoff the first matching rule makes for the account's transition into `state`, if any rule does."""
    rule = pick_rule(config.rules, row.state, state)
    if rule is None:
        return None
    owner_field, sender_field = owner_field_for_role(rule.to_role), owner_field_for_role(rule.from_role)
    return Handoff(
        account_id=row.id, rule_id=rule.id, rule_name=rule.name, from_state=row.state, to_state=state,
        from_role=rule.from_role, to_role=rule.to_role, model=rule.model, created_on=as_of,
        status=Handoff.Status.PENDING, assignee_id=getattr(row, f"{owner_field}_id") if owner_field else None,
        due_at=sla_due_at(start=as_of, business_hours=rule.sla_business_hours, calendar=config.calendar),
        sla_business_hours=rule.sla_business_hours,
        escalate_at=escalation_time(created_on=as_of, sla_business_hours=rule.sla_business_hours,
                                    calendar=config.calendar),
        # What the feedback figures group by, as of D (docs/rules.md §8); the lead source is added in _write_states.
        sender_id=getattr(row, f"{sender_field}_id") if sender_field else None,
        icp_fit=row.new_fit, icp_profile_id=row.new_profile_id, icp_tier=row.new_tier or "",
        icp_profile_name=next((p.name for p in config.profiles if p.profile_id == row.new_profile_id), ""),
    )


def _write_states(decided: StateDecisions) -> int:
    """Write the moved accounts, the transitions and the handoffs (a new handoff supersedes a still-pending one of
    the same account); a statement or two each, whatever their number. Returns the handoffs created."""
    if decided.updates:
        bulk_update_rows(Account, decided.updates, ACCOUNT_UPDATE_FIELDS)
    if decided.transitions:
        bulk_insert_copy(StateTransition, decided.transitions)
    if not decided.handoffs:
        return 0
    account_ids = [h.account_id for h in decided.handoffs]
    Handoff.objects.filter(account_id__in=account_ids, status=Handoff.Status.PENDING).update(
        status=Handoff.Status.SUPERSEDED)
    # A newer handoff resolves the accounts' returned alerts and the superseded ones' SLA alerts (rules §8).
    resolve_alerts_of_earlier_handoffs(account_ids=account_ids, now=timezone.now())
    sources = handoff_lead_sources(account_ids=account_ids, as_of=decided.handoffs[0].created_on)
    for handoff in decided.handoffs:
        handoff.lead_source = sources.get(handoff.account_id, "")
    Handoff.objects.bulk_create(decided.handoffs, batch_size=1000)
    return len(decided.handoffs)


# --- evaluate coverage ---------------------------------------------------------------------------------------------


def _evaluate_coverage(selection: AccountSelection, facts: ChunkFacts, steps: dict[int, domain.StateStep], *,
                       config: EngineConfig, as_of: dt.date, failed: dict[int, str]) -> CoverageEvaluation:
    """Each account's requirements in its new state, evaluated on the touches counted for it (docs/rules.md §4),
    and its evaluation: its next date of change, for incremental nights, and what the coverage figures count.
    Two statements: the touch counts, the touch dates."""
    counts = statements.touch_counts(selection, as_of, config.requirements,
                                     {account_id: step.state for account_id, step in steps.items()})
    touch_dates = statements.touch_dates(selection, as_of)
    evaluated = CoverageEvaluation()
    specs_by_state = requirements_with_owners(config.requirements)
    thresholds, deals, leads, evaluations = config.thresholds, facts.deals, facts.leads, evaluated.evaluations
    for row in facts.accounts:
        account_id = row.id
        step = steps[account_id]
        deal = deals.get(account_id, NO_DEALS)
        specs = specs_by_state.get(step.state)
        try:
            results = evaluate_requirements(row, step, specs, counts, deal, as_of, evaluated) if specs else []
            dates = touch_dates.get(account_id, NO_TOUCH_DATES)
            due_on = domain.next_change_on(
                as_of=as_of, thresholds=thresholds, first_won_on=deal.first_won_on,
                latest_won_closed_on=deal.latest_won_on, latest_won_contract_end=deal.latest_contract_end,
                requirements=results, state_since=step.since,
                next_dated_fact_on=earliest(deal.next_dated_on, leads.get(account_id, NO_LEADS).next_dated_on,
                                            dates.next_on),
            )
            evaluation = _evaluation_row((
                account_id, due_on, step.state, domain.coverage_class([r.status for r, _ in results]), dates.latest_on))
        except Exception as exc:  # its state is written already: recompute_selection raises AccountsFailed
            failed[account_id] = error_text(exc)
            continue
        evaluations.append(evaluation)
    return evaluated


def requirements_with_owners(
    requirements: dict[str, tuple[domain.RequirementSpec, ...]],
) -> dict[str, list[tuple[domain.RequirementSpec, int | None]]]:
    """Per state, its requirements each with where its responsible role's owner is in an AccountRow (None: a role
    without owners), as evaluate_requirements takes them."""
    return {
        state: [(spec, OWNER_INDEX[f"{field}_id"] if (field := owner_field_for_role(spec.responsible_role)) else None)
                for spec in specs]
        for state, specs in requirements.items()
    }


def evaluate_requirements(
    row: AccountRow, step: domain.StateStep, specs: Sequence[tuple[domain.RequirementSpec, int | None]],
    counts: dict[tuple[int, str], TouchCounts], deal: DealFacts, as_of: dt.date, evaluated: CoverageEvaluation,
) -> list[tuple[domain.RequirementResult, dt.date | None]]:
    """One account's requirements: each one's coverage row and, when under-covered, its key for the alerts
    (added to `evaluated`); returns each result with the oldest counting date in its window. (Positional
    arguments: called for every account.)"""
    results = []
    account_id = row.id
    coverage_rows, under_covered = evaluated.rows, evaluated.under_covered
    for spec, owner_index in specs:
        touches = counts.get((account_id, spec.code), NO_TOUCHES)
        result = domain.evaluate_requirement(
            requirement=spec, counted=touches.counted, nth_recent_on=touches.nth_recent_on,
            last_touch_on=touches.latest_on, as_of=as_of, state_since=step.since, state_initial=step.initial,
        )
        results.append((result, touches.oldest_in_window_on))
        assignee_id = row[owner_index] if owner_index is not None else None
        coverage_rows[(account_id, spec.code)] = _coverage_values((
            step.state, spec.kind, spec.min_count, spec.window_days, result.counted, result.gap, result.status,
            result.last_touch_on, result.due_on, spec.responsible_role, assignee_id,
        ))
        if result.status == domain.UNDER_COVERED:
            under_covered.append(domain.UnderCoverage(
                account_id=account_id, state=step.state, requirement=spec.code, responsible_role=spec.responsible_role,
                assignee_id=assignee_id, gap=result.gap, counted=result.counted, last_touch_on=result.last_touch_on,
                window_days=spec.window_days, icp_fit=row.new_fit, deal_amount=deal.open_amount,
            ))
    return results


def _write_coverage_rows(*, selection: AccountSelection, as_of: dt.date,
                         rows: dict[tuple[int, str], CoverageValues], failed: dict[int, str]) -> None:
    """Bring the selection's coverage rows to `rows`: insert the new, rewrite the changed, delete the gone.

    A row whose figures did not move is not written (its `as_of` stays the date it last changed), so a quiet night
    writes little; three statements at most, whatever the number of rows. The rows of a `failed` account stay.
    """
    stale_ids: list[int] = []
    changed: list[tuple] = []
    stored = statements.coverage_rows(selection)
    if failed:
        stored = [row for row in stored if row[1] not in failed]
    for row_id, account_id, requirement, *values in stored:
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


# --- reconcile alerts ----------------------------------------------------------------------------------------------


def _reconcile_alerts(
    *, selection: AccountSelection, as_of: dt.date, steps: dict[int, domain.StateStep],
    under_covered: Sequence[domain.UnderCoverage], requirements: dict[str, tuple[domain.RequirementSpec, ...]],
    failed: dict[int, str],
) -> tuple[int, int]:
    """Open, keep or resolve the selection's alerts to follow its under-covered keys (docs/rules.md §5): a kept
    alert is rewritten only when its figures moved; a `failed` account's alerts stay as they are.
    Returns (opened, resolved)."""
    open_rows = statements.open_alert_rows(selection)
    if failed:
        open_rows = [row for row in open_rows if row.account_id not in failed]
    plan = domain.reconcile_alerts(
        open_alerts=[domain.OpenAlert(row.id, row.account_id, row.state, row.requirement) for row in open_rows],
        under_covered=under_covered,
        current_state={account_id: step.state for account_id, step in steps.items()},
        requirement_codes_by_state={state: {s.code for s in specs} for state, specs in requirements.items()},
    )
    if plan.keep:
        by_id = {row.id: row for row in open_rows}
        moved = []
        for alert_id, u in plan.keep:
            row = by_id[alert_id]
            values = _alert_values(u, opened_on=statements.as_date(row.opened_on))
            if row[OPEN_ALERT_VALUES] != values:
                moved.append((alert_id, *values, as_of))
        bulk_update_rows(Alert, moved, [f.removesuffix("_id") for f in ALERT_VALUE_FIELDS] + ["changed_on"])
    if plan.resolve:
        statements.resolve_alerts(plan.resolve, as_of)
    if plan.create:
        bulk_insert_rows(Alert, NEW_ALERT_FIELDS, [
            (u.account_id, u.state, u.requirement, Alert.Status.OPEN, "", as_of, as_of,
             *_alert_values(u, opened_on=as_of))
            for u in plan.create
        ])
    return len(plan.create), len(plan.resolve)


def _alert_values(u: domain.UnderCoverage, *, opened_on: dt.date) -> AlertValues:
    """An under-covered key's AlertValues (Today's priority parts, engine.worklist)."""
    return _alert_values_of((
        u.gap, u.counted, u.assignee_id, u.responsible_role, domain.state_weight(u.state),
        domain.fell_due_on(last_touch_on=u.last_touch_on, window_days=u.window_days, opened_on=opened_on),
        u.icp_fit, u.deal_amount,
    ))
