"""The standards what-if: what the next night would produce with a proposed change of requirements, current against
proposed, without running the night (docs/rules.md §3–§5, §9).

Contract: each side equals what the next night (as of the day after the latest completed run) would leave if the
proposal were saved ("proposed") or not ("current"), nothing else changing: the accounts with an under-covered
requirement, the open coverage alerts by responsible role and by assignee, and the accounts and compliant accounts
per state. tests/standards/test_whatif.py saves proposals, runs the night and compares.

How, without evaluating a million accounts. A change of requirements moves no account's state (§3 does not read
the standards), so:

- **Accounts the next night re-evaluates anyway** — on PostgreSQL the incremental night's own plan: a change mark
  (engine.PendingAccount) or a next change date that has come (engine.AccountEvaluation.due_on). Their states are
  narrowed in SQL, in two statements (standards.whatif_sql): without a change mark, only a deal or lead date crossing
  a state rule since the latest evaluation can move a state (`next_night_accounts`); of those left, the state
  decided by the SQL twin of the state rules (`states_may_move`, held to engine.domain by
  tests/standards/test_whatif_states.py) must differ from the stored one. Only those few are decided by the
  pipeline's own reads and rules (engine.pipeline.read_facts, engine.domain); where the state moves they are
  evaluated in Python with each standard. Every other re-evaluated account keeps its state and is counted in it
  set-based (standards.whatif_sql.counts_in_state) — writing nothing.
- **Every other account** stays as the latest night left it (that is what incremental nights rely on,
  docs/architecture.md): its stored evaluation and open alerts are the current side, read from the tallies
  (engine.tallies) in a few thousand rows. On the proposed side the same holds for the states whose standard does
  not change; the accounts of the changed states are counted set-based, one statement over their touches in the
  new windows (standards.whatif_sql.counts_in_state).

A standard saved since the latest night makes the next night full, but the stored states still stand: the
standards the stored evaluations were made with are read back from the standards' history (checked against that
run's configuration fingerprint), and each side recounts the states whose standard differs from them. When the
stored states cannot be trusted — SQLite (no change marks), no completed run yet, or thresholds, ICP profiles or the
business zone changed since the latest run — every account is evaluated the first way: exact, and as slow as a full
night's reads.

Not followed: an alert a manager reassigned keeps its assignee in the current side (an incremental night leaves it);
a full night would hand it back to the account's owner. The proposed side counts it as the current side does.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from django.core.exceptions import ValidationError
from django.db import connection

from core.choices import Role, State, owner_field_for_role
from core.models import User
from engine import domain, statements
from engine.models import RecomputeRun
from engine.pipeline import ChunkFacts, EngineConfig, decide_step, read_facts
from engine.preview import chunk_selections, next_night_as_of
from engine.records import NO_DEALS, NO_LEADS, NO_TOUCHES, OWNER_INDEX, AccountRow, TouchCounts
from engine.services import config_fingerprint
from engine.statements import AccountSelection
from engine.tallies import open_alert_counts

from . import whatif_sql
from .models import StandardChange
from .services import validate_requirements

# Accounts evaluated in Python per selection: an id range when every account is (the pipeline's chunk size order);
# the accounts the next night re-evaluates, listed, by the tens of thousands (PostgreSQL: one array parameter; one
# statement over 47k accounts' deals costs what three over 5,000 did on the bench).
CHUNK = 5000
LISTED_CHUNK = 50_000

Classes = Counter  # (state, coverage class) -> accounts
Alerts = Counter  # (responsible role, assignee id) -> open alerts


@dataclass
class Side:
    """One side's counts as the next night would leave them."""

    classes: Counter = field(default_factory=Counter)
    alerts: Counter = field(default_factory=Counter)

    def add(self, classes: Mapping[tuple[str, str], int], alerts: Mapping[tuple, int], sign: int = 1) -> None:
        for key, n in classes.items():
            self.classes[key] += sign * n
        for key, n in alerts.items():
            self.alerts[key[-2:]] += sign * n  # (state,) role, assignee

    def copy(self) -> Side:
        return Side(Counter(self.classes), Counter(self.alerts))


# --- the proposal ----------------------------------------------------------------------------------------------------


def clean_proposal(proposal: object) -> dict[str, list[dict]]:
    """The proposal `{STATE: [requirement, …]}` validated as `PUT standards/STATE/` validates each state's
    requirements (standards.services.validate_requirements). Bad input raises ValidationError on `standards`, each
    message naming the state, the requirement's index and the field, e.g.
    "LOYAL.requirements[0].kind: must be human or digital"."""
    if not isinstance(proposal, Mapping):
        raise ValidationError({"standards": ["must be an object: a state code to a list of requirements"]})
    errors: list[str] = []
    clean: dict[str, list[dict]] = {}
    for state, requirements in proposal.items():
        if state not in State.values:
            errors.append(f"{state}: unknown state; choose from {', '.join(State.values)}")
            continue
        if isinstance(requirements, (str, Mapping)) or not isinstance(requirements, Sequence):
            errors.append(f"{state}: must be a list of requirements")
            continue
        not_objects = [f"{state}.requirements[{i}]: must be an object" for i, r in enumerate(requirements)
                       if not isinstance(r, Mapping)]
        if not_objects:
            errors += not_objects
            continue
        try:
            clean[state] = validate_requirements(requirements)
        except ValidationError as exc:
            errors += [f"{state}.{message}" for message in exc.message_dict.get("requirements", [])]
    if errors:
        raise ValidationError({"standards": errors})
    return clean


def _specs(state: str, requirements: Sequence[Mapping]) -> tuple[domain.RequirementSpec, ...]:
    return tuple(domain.RequirementSpec(
        state=state, code=r["code"], kind=r["kind"], min_count=r["min_count"], window_days=r["window_days"],
        responsible_role=r["responsible_role"], performer_roles=tuple(r["performer_roles"])) for r in requirements)


# --- the preview -----------------------------------------------------------------------------------------------------


def preview_standards(*, proposal: Mapping[str, Sequence[Mapping]]) -> dict:
    """What the next night would leave with today's standards ("current") and with `proposal` saved ("proposed"):
    each side `under_covered_accounts`, `alerts_by_role` {role: n}, `alerts_by_owner` {username: n},
    `alerts_unassigned`, `alerts` (all open coverage alerts) and `compliance_by_state` {STATE: {accounts,
    compliant, rate}}; plus `as_of` (a date), `changed_states` and `mode` (how the next night would run).
    A fixed number of statements, besides a few per 50,000 accounts the next night re-evaluates anyway."""
    cleaned = clean_proposal(proposal)
    config = EngineConfig.load()
    proposed = dict(config.requirements)
    for state, requirements in cleaned.items():
        specs = _specs(state, requirements)
        if specs:
            proposed[state] = specs
        else:
            proposed.pop(state, None)
    changed = sorted(s for s in cleaned if proposed.get(s, ()) != config.requirements.get(s, ()))
    as_of = next_night_as_of()
    stored_requirements = _stored_requirements(config)
    if stored_requirements is not None:
        current, after = _from_stored(config=config, stored_requirements=stored_requirements, proposed=proposed,
                                      changed=changed, as_of=as_of)
        same = stored_requirements == dict(config.requirements)
        mode = RecomputeRun.Mode.INCREMENTAL if same else RecomputeRun.Mode.FULL
    else:
        current, after = Side(), Side()
        for selection in chunk_selections(CHUNK):
            _evaluate(selection, as_of=as_of, config=config, proposed=proposed, changed=changed,
                      current=current, after=after)
        mode = RecomputeRun.Mode.FULL
    usernames = _usernames(key[1] for key in (*current.alerts, *after.alerts))
    return {
        "as_of": as_of, "changed_states": changed, "mode": str(mode),
        "current": _side_result(current, config.requirements, usernames),
        "proposed": _side_result(after, proposed, usernames),
    }


def _stored_requirements(config: EngineConfig) -> dict | None:
    """The standards the stored evaluations were made with — the latest completed run's — when every other part of
    the configuration is still that run's (so the stored states stand): None otherwise, and on SQLite (no change
    marks). The run's standards are today's, or those the standards' history gives as of the run's start, checked
    against the run's configuration fingerprint (engine.services.config_fingerprint)."""
    if connection.vendor != "postgresql":
        return None
    latest = RecomputeRun.objects.filter(status=RecomputeRun.Status.COMPLETED).order_by("-as_of", "-id").first()
    if latest is None:
        return None
    if latest.config_fingerprint == config_fingerprint(config):
        return dict(config.requirements)
    then, seen = dict(config.requirements), set()
    changes = StandardChange.objects.filter(changed_at__gt=latest.started_at).select_related("standard")
    for change in changes.order_by("changed_at", "id"):  # each state's first change since the run: its `before`
        state = change.standard.state
        if state in seen:
            continue
        seen.add(state)
        specs = _specs(state, (change.before or {}).get("requirements", []))
        if specs:
            then[state] = specs
        else:
            then.pop(state, None)
    if config_fingerprint(replace(config, requirements=then)) == latest.config_fingerprint:
        return then
    return None


def _from_stored(*, config: EngineConfig, stored_requirements: Mapping, proposed: Mapping, changed: Sequence[str],
                 as_of: dt.date) -> tuple[Side, Side]:
    """Both sides from what the latest night stored: every stored evaluation and open alert (the tallies), less
    those of the accounts the next night re-evaluates, which are evaluated here; on each side, the accounts of the
    states whose standard differs from the stored one are counted set-based under that side's standards."""
    evaluated, deciding = whatif_sql.next_night_accounts(as_of, config.thresholds)
    stored = Side()
    stored.add(whatif_sql.evaluation_counts(), {(role, assignee): n for role, assignee, n in open_alert_counts()})
    evaluated_alerts = whatif_sql.open_alert_counts_of(evaluated)
    stored.add(whatif_sql.evaluation_counts_of(evaluated), evaluated_alerts, sign=-1)
    current, after = stored.copy(), stored.copy()
    # The accounts the night re-evaluates: those whose state may move (a change mark or a dated rule crossed, and
    # then a state decided in SQL that differs from the stored one) have it decided in Python, and where it moves
    # they are evaluated there too; the others (most: a touch logged, a date come) keep their state and are counted
    # set-based in it, below.
    deciding = whatif_sql.states_may_move(deciding, as_of, config.thresholds, config.profiles)
    in_deciding = set(deciding)
    unmoved = [account_id for account_id in evaluated if account_id not in in_deciding]
    for first in range(0, len(deciding), LISTED_CHUNK):
        unmoved += _evaluate(AccountSelection(ids=tuple(deciding[first:first + LISTED_CHUNK])), as_of=as_of,
                             config=config, proposed=proposed, changed=changed, current=current, after=after,
                             defer_unmoved=True)
    in_unmoved = set(unmoved)
    moved_ids = [account_id for account_id in evaluated if account_id not in in_unmoved]  # evaluated in Python
    unmoved_now = (whatif_sql.counts_in_state(as_of=as_of, requirements=config.requirements, ids=sorted(unmoved))
                   if unmoved else ({}, {}))
    for side, requirements in ((current, config.requirements), (after, proposed)):
        _count_left_in_state(side, stored, evaluated_alerts, unmoved_now, as_of=as_of, requirements=requirements,
                             stored_requirements=stored_requirements, current=config.requirements,
                             unmoved=sorted(unmoved), moved_ids=moved_ids)
    return current, after


def _count_left_in_state(side: Side, stored: Side, evaluated_alerts: Mapping, unmoved_now: tuple, *, as_of: dt.date,
                         requirements: Mapping, stored_requirements: Mapping, current: Mapping,
                         unmoved: Sequence[int], moved_ids: Sequence[int]) -> None:
    """One side's accounts the night leaves in their state, under that side's `requirements`: in a state whose
    standard differs from the stored one, every such account (the stored figures of those not re-evaluated out, all
    recounted in, one statement); in the other states, the re-evaluated ones (`unmoved`), from their count under
    today's standards (`unmoved_now`) where the side's standard is today's, else counted under the side's."""
    moved = sorted(s for s in set(stored_requirements) | set(requirements)
                   if stored_requirements.get(s, ()) != requirements.get(s, ()))
    in_moved = set(moved)
    if moved:
        side.add({k: n for k, n in stored.classes.items() if k[0] in in_moved}, {}, sign=-1)
        side.add({}, whatif_sql.open_alert_counts_in_states(moved), sign=-1)
        side.add({}, {k: n for k, n in evaluated_alerts.items() if k[0] in in_moved})
        side.add(*whatif_sql.counts_in_state(as_of=as_of, requirements=requirements, states=moved,
                                              excluded_ids=moved_ids))
    as_today = {s for s in {k[0] for k in unmoved_now[0]} if s not in in_moved
                and requirements.get(s, ()) == current.get(s, ())}
    side.add({k: n for k, n in unmoved_now[0].items() if k[0] in as_today},
             {k: n for k, n in unmoved_now[1].items() if k[0] in as_today})
    others = sorted(s for s in set(requirements) | set(current)
                    if s not in in_moved and requirements.get(s, ()) != current.get(s, ()))
    if others and unmoved:
        side.add(*whatif_sql.counts_in_state(as_of=as_of, requirements=requirements, states=others, ids=unmoved))


# --- the accounts evaluated in Python --------------------------------------------------------------------------------


def _evaluate(selection: AccountSelection, *, as_of: dt.date, config: EngineConfig, proposed: Mapping,
              changed: Sequence[str], current: Side, after: Side, defer_unmoved: bool = False) -> list[int]:
    """The selection's accounts as the night would evaluate them (engine.pipeline's reads, engine.domain's rules):
    each one's state as of D, then its requirements under each side's standard, added to each side. With
    `defer_unmoved`, the accounts whose state, state_since and initial flag stay as stored are not evaluated but
    returned, for the caller to count set-based."""
    facts = read_facts(selection, as_of, config.profiles, failed={})
    if not facts.accounts:
        return []
    steps = _decide_states(facts, config=config, as_of=as_of)
    unmoved = [row.id for row in facts.accounts if (row.state, row.state_since, row.state_initial)
               == steps[row.id][:3]] if defer_unmoved else []
    if unmoved:
        kept = set(unmoved)
        facts.accounts = [row for row in facts.accounts if row.id not in kept]
        steps = {account_id: step for account_id, step in steps.items() if account_id not in kept}
        selection = AccountSelection(ids=tuple(row.id for row in facts.accounts))
        if not facts.accounts:
            return unmoved
    current_counts = _touch_counts(selection, as_of, config.requirements, steps)
    changed_requirements = {s: proposed[s] for s in changed if s in proposed}
    proposed_counts = _touch_counts(selection, as_of, changed_requirements, steps) if any(
        step.state in changed_requirements for step in steps.values()) else {}
    in_changed = set(changed)
    for row in facts.accounts:
        step = steps[row.id]
        _add_account(current, row, step, config.requirements.get(step.state, ()), current_counts, as_of)
        if step.state in in_changed:
            _add_account(after, row, step, proposed.get(step.state, ()), proposed_counts, as_of)
        else:
            _add_account(after, row, step, config.requirements.get(step.state, ()), current_counts, as_of)
    return unmoved


def _decide_states(facts: ChunkFacts, *, config: EngineConfig, as_of: dt.date) -> dict[int, domain.StateStep]:
    """Each account's state step as of D, as the night decides it (engine.pipeline.decide_step; docs/rules.md §2–§3)."""
    thresholds, deals, leads = config.thresholds, facts.deals, facts.leads
    return {row.id: decide_step(row, deals.get(row.id, NO_DEALS), leads.get(row.id, NO_LEADS), thresholds, as_of)[2]
            for row in facts.accounts}


def _touch_counts(selection: AccountSelection, as_of: dt.date, requirements: Mapping,
                  steps: Mapping[int, domain.StateStep]) -> dict[tuple[int, str], TouchCounts]:
    """(account, requirement code) -> its counted touches as of D under `requirements`, for the accounts' new
    states. PostgreSQL: the pipeline's own statement (it takes the new states); SQLite's version joins the stored
    states, so there the touches are read and counted by engine.domain.count_touches, the reference."""
    if not requirements:
        return {}
    states = {account_id: step.state for account_id, step in steps.items()}
    if connection.vendor == "postgresql":
        return statements.touch_counts(selection, as_of, requirements, states)
    touches: dict[int, list[domain.TouchRecord]] = {}
    for account_id, day, kind, role in whatif_sql.touch_rows(selection, as_of):
        touches.setdefault(account_id, []).append(domain.TouchRecord(day, kind, role))
    counts = {}
    for account_id, state in states.items():
        for spec in requirements.get(state, ()):
            counted, nth, latest = domain.count_touches(spec, touches.get(account_id, ()), as_of)
            if latest is not None:
                counts[(account_id, spec.code)] = TouchCounts(counted, nth, latest, None)
    return counts


def _add_account(side: Side, row: AccountRow, step: domain.StateStep, specs: Sequence[domain.RequirementSpec],
                 counts: Mapping[tuple[int, str], TouchCounts], as_of: dt.date) -> None:
    """One account's coverage class (docs/rules.md §9) and its alerts, one per under-covered requirement, to the
    account's owner for the requirement's responsible role (§4, §5)."""
    statuses = []
    for spec in specs:
        touches = counts.get((row.id, spec.code), NO_TOUCHES)
        result = domain.evaluate_requirement(
            requirement=spec, counted=touches.counted, nth_recent_on=touches.nth_recent_on,
            last_touch_on=touches.latest_on, as_of=as_of, state_since=step.since, state_initial=step.initial)
        statuses.append(result.status)
        if result.status == domain.UNDER_COVERED:
            owner = owner_field_for_role(spec.responsible_role)
            side.alerts[(spec.responsible_role, row[OWNER_INDEX[f"{owner}_id"]] if owner else None)] += 1
    side.classes[(step.state, domain.coverage_class(statuses))] += 1


# --- the answer ------------------------------------------------------------------------------------------------------


def _usernames(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    return dict(User.objects.filter(id__in=wanted).values_list("id", "username")) if wanted else {}


def _side_result(side: Side, requirements: Mapping[str, Sequence], usernames: Mapping[int, str]) -> dict:
    by_role: Counter = Counter()
    by_owner: Counter = Counter()
    unassigned = 0
    for (role, assignee_id), n in side.alerts.items():
        if not n:
            continue
        by_role[role] += n
        if assignee_id is None or assignee_id not in usernames:
            unassigned += n
        else:
            by_owner[usernames[assignee_id]] += n
    compliance = {}
    for state in State.values:
        accounts = sum(n for (s, _c), n in side.classes.items() if s == state)
        compliant = side.classes.get((state, "compliant"), 0) if requirements.get(state) else 0
        rate = round(compliant / accounts, 4) if accounts and requirements.get(state) else None
        compliance[state] = {"accounts": accounts, "compliant": compliant, "rate": rate,
                             "requirements": len(requirements.get(state, ()))}
    return {
        "under_covered_accounts": sum(n for (_s, c), n in side.classes.items() if c == domain.UNDER_COVERED),
        "alerts": sum(by_role.values()),
        "alerts_by_role": dict(sorted((k, v) for k, v in by_role.items() if v)),
        "alerts_by_owner": dict(sorted((k, v) for k, v in by_owner.items() if v)),
        "alerts_unassigned": unassigned,
        "compliance_by_state": compliance,
    }


# --- for the page ----------------------------------------------------------------------------------------------------


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else (f"−{-n}" if n < 0 else "±0")


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _compare(current: int, proposed: int, **labels) -> dict:
    return {**labels, "current": current, "proposed": proposed, "delta": proposed - current,
            "signed": _signed(proposed - current)}


def whatif_for_display(result: Mapping) -> dict:
    """`result` (preview_standards) with what the partial templates/standards/partials/whatif.html shows: the
    under-covered accounts and alerts current → proposed; per responsible role and per owner (display names, one
    query; the owners whose count moves first), per state (labels, rates as percentages). No raw codes."""
    current, proposed = result["current"], result["proposed"]
    usernames = set(current["alerts_by_owner"]) | set(proposed["alerts_by_owner"])
    names = {u.username: str(u) for u in User.objects.filter(username__in=usernames)} if usernames else {}
    roles = sorted(set(current["alerts_by_role"]) | set(proposed["alerts_by_role"]))
    owners = [_compare(current["alerts_by_owner"].get(u, 0), proposed["alerts_by_owner"].get(u, 0),
                       name=names.get(u, u), username=u) for u in usernames]
    owners.sort(key=lambda o: (-abs(o["delta"]), -o["proposed"], o["name"]))
    states = []
    for state in State:
        now, then = current["compliance_by_state"][state.value], proposed["compliance_by_state"][state.value]
        if not (now["accounts"] or then["accounts"] or now["requirements"] or then["requirements"]):
            continue
        states.append({"label": state.label, "changed": state.value in result["changed_states"],
                       "accounts": _compare(now["accounts"], then["accounts"]),
                       "compliant": _compare(now["compliant"], then["compliant"]),
                       "rate_current": _percent(now["rate"]), "rate_proposed": _percent(then["rate"])})
    return {
        **result,
        "changed_labels": [State(s).label for s in result["changed_states"]],
        "under": _compare(current["under_covered_accounts"], proposed["under_covered_accounts"]),
        "total": _compare(current["alerts"], proposed["alerts"]),
        "unassigned": _compare(current["alerts_unassigned"], proposed["alerts_unassigned"]),
        "roles": [_compare(current["alerts_by_role"].get(r, 0), proposed["alerts_by_role"].get(r, 0),
                           label=Role(r).label if r in Role.values else r) for r in roles],
        "owners": owners,
        "states": states,
    }
