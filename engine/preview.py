"""What-if of a configuration that moves states (the state thresholds): what the next night would leave, with
today's configuration and with a proposed one, computed chunk by chunk without writing anything.

Contract: each side equals what the next night (as of the day after the latest completed run) would leave with that
configuration saved, nothing else changing — each account's state (so the flow of accounts from the current side's
state to the proposed side's), the state changes and handoffs the night would record, the accounts with an
under-covered requirement and the open coverage alerts by responsible role and by assignee (docs/rules.md §3–§5, §8).
tests/segments/test_threshold_preview.py saves proposals, runs the night and compares.

How. A threshold can move any account's state, and saving one makes the next night full (the configuration
fingerprint changes), so every account is evaluated, in id ranges of CHUNK accounts, by the night's own reads and
rules (engine.pipeline): per chunk the accounts with their ICP fit, their deals and leads (three or four statements,
read once for both sides), then per side the states (engine.domain, in Python) and one statement counting the
touches per (account, requirement of its new state) — a fixed number of statements per chunk whatever its size.
Nothing is written: each chunk's reads run in a transaction that only reads.

An incremental night (PostgreSQL, the current side) re-evaluates only changed and due accounts, which equals a full
night (tests/engine/test_incremental.py) but for one thing: an alert a manager reassigned keeps its assignee there,
where this preview (as a full night) counts it for the account's owner.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from django.db import transaction
from django.db.models import Max, Min

from accounts.models import Account
from core.bulk import cyclic_gc_paused
from core.timeutil import business_today

from . import domain, statements
from .pipeline import (
    ChunkFacts, ChunkStats, CoverageEvaluation, EngineConfig, decide_states, error_text, evaluate_requirements,
    read_facts, requirements_with_owners,
)
from .records import NO_DEALS
from .services import latest_completed_as_of
from .statements import AccountSelection

# Accounts per chunk: the nightly chunks' order of size; progress is reported after each.
CHUNK = 5000


@dataclass
class SideOutcome:
    """What the next night would leave with one configuration, summed over the chunks."""

    states: Counter = field(default_factory=Counter)  # state -> accounts
    alerts: Counter = field(default_factory=Counter)  # (responsible role, assignee id or None) -> open alerts
    under_covered_accounts: int = 0
    transitions: int = 0
    handoffs: int = 0


@dataclass
class NightPreview:
    as_of: dt.date
    sides: list[SideOutcome]
    # (state on the first side, state on the second side) -> accounts
    flow: Counter = field(default_factory=Counter)
    # Accounts the night could not evaluate (left as they are, engine.RecomputeFailure); counted on no side.
    failed: dict[int, str] = field(default_factory=dict)


def next_night_as_of() -> dt.date:
    """The next night's date: the day after the latest completed run (today's business date + 1 before any)."""
    return (latest_completed_as_of() or business_today()) + dt.timedelta(days=1)


def chunk_selections(chunk_size: int = CHUNK) -> list[AccountSelection]:
    """Every account, as id ranges of `chunk_size` ids (one query)."""
    bounds = Account.objects.aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        return []
    return [AccountSelection(first_id=first, last_id=min(first + chunk_size - 1, bounds["hi"]))
            for first in range(bounds["lo"], bounds["hi"] + 1, chunk_size)]


def preview_next_night(
    *, configs: Sequence[EngineConfig], as_of: dt.date | None = None, chunk_size: int = CHUNK,
    on_progress: Callable[[int, int], None] | None = None,
) -> NightPreview:
    """The next night's outcome under each of `configs` (the same ICP profiles: the facts are read once per chunk).
    `on_progress(done, total)` is called after each chunk."""
    as_of = as_of or next_night_as_of()
    preview = NightPreview(as_of=as_of, sides=[SideOutcome() for _ in configs])
    selections = chunk_selections(chunk_size)
    for done, selection in enumerate(selections, start=1):
        with transaction.atomic():  # reads only: one snapshot per chunk, the night's planner settings
            _preview_chunk(selection, configs=configs, as_of=as_of, preview=preview)
        if on_progress is not None:
            on_progress(done, len(selections))
    return preview


@dataclass
class _ChunkSide:
    """One configuration's results for one chunk, per account, before they are added to its SideOutcome."""

    states: dict[int, str]
    under: list[domain.UnderCoverage]
    transitioned: set[int]
    handoffs: list[int]

    def add_to(self, side: SideOutcome, accounts: set[int]) -> None:
        under = [u for u in self.under if u.account_id in accounts]
        side.states.update(state for account_id, state in self.states.items() if account_id in accounts)
        side.alerts.update((u.responsible_role, u.assignee_id) for u in under)
        side.under_covered_accounts += len({u.account_id for u in under})
        side.transitions += len(self.transitioned & accounts)
        side.handoffs += sum(1 for account_id in self.handoffs if account_id in accounts)


@cyclic_gc_paused()  # a chunk's rows as tuples, none in a cycle (engine.pipeline)
def _preview_chunk(selection: AccountSelection, *, configs: Sequence[EngineConfig], as_of: dt.date,
                   preview: NightPreview) -> None:
    statements.tune_transaction()
    failed: dict[int, str] = {}
    facts = read_facts(selection, as_of, configs[0].profiles, failed=failed)
    sides = [_side_of_chunk(selection, ChunkFacts(accounts=list(facts.accounts), deals=facts.deals, leads=facts.leads),
                            config=config, as_of=as_of, failed=failed) for config in configs]
    # An account a side could not evaluate counts on no side: the night would leave it as it is.
    evaluated = {row.id for row in facts.accounts} - set(failed)
    for chunk_side, side in zip(sides, preview.sides):
        chunk_side.add_to(side, evaluated)
    for account_id in evaluated:
        preview.flow[tuple(chunk_side.states[account_id] for chunk_side in sides)] += 1
    preview.failed.update(failed)


def _side_of_chunk(selection: AccountSelection, facts: ChunkFacts, *, config: EngineConfig, as_of: dt.date,
                   failed: dict[int, str]) -> _ChunkSide:
    """One configuration's states, state changes, handoffs and under-covered keys for the chunk's accounts (as
    engine.pipeline.recompute_selection decides them); one statement, the touch counts."""
    decided = decide_states(facts, config=config, as_of=as_of, stats=ChunkStats(failed=failed))
    steps = decided.steps
    counts = statements.touch_counts(selection, as_of, config.requirements,
                                     {account_id: step.state for account_id, step in steps.items()})
    specs_by_state = requirements_with_owners(config.requirements)
    evaluated = CoverageEvaluation()
    for row in facts.accounts:
        step = steps.get(row.id)
        specs = specs_by_state.get(step.state) if step is not None else None
        if not specs:
            continue
        try:
            evaluate_requirements(row, step, specs, counts, facts.deals.get(row.id, NO_DEALS), as_of, evaluated)
        except Exception as exc:  # as the night: this account is left as it was
            failed[row.id] = error_text(exc)
    return _ChunkSide(
        states={account_id: step.state for account_id, step in steps.items()}, under=evaluated.under_covered,
        transitioned={account_id for account_id, step in steps.items() if step.transitioned},
        handoffs=[h.account_id for h in decided.handoffs],
    )


def thresholds_config(config: EngineConfig, thresholds: domain.Thresholds) -> EngineConfig:
    """`config` with other state thresholds."""
    return replace(config, thresholds=thresholds)
