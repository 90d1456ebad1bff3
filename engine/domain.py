"""The coverage rules as plain Python (docs/rules.md §2–§5): dataclasses in, dataclasses out, no ORM.

The nightly pipeline (engine.pipeline) aggregates deals, leads and touches in SQL and then applies
`facts_from_aggregates`, `decide_state`, `advance_state`, `evaluate_requirement` and `reconcile_alerts`
from here. `evaluate_account_plain` does the whole evaluation from raw rows in Python; it is the reference
the property test holds the SQL path to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from core.choices import State

# Part of every run's configuration fingerprint (engine.services.config_fingerprint): raise it with any change to
# these rules, so the next night evaluates every account instead of only those whose data or dates moved.
RULES_VERSION = 1

COVERED = "covered"
DUE_SOON = "due_soon"
GRACE = "grace"
UNDER_COVERED = "under_covered"

RESOLVED_COVERED = "covered"
RESOLVED_STATE_CHANGED = "state_changed"
RESOLVED_STANDARD_CHANGED = "standard_changed"


@dataclass(frozen=True)
class Thresholds:
    churn_after_days: int = 365
    onboarding_days: int = 183
    loyal_min_tenure_days: int = 730
    loyal_min_won_deals: int = 3
    hot_lead_min_score: int = 70
    high_potential_min_fit: int = 70


@dataclass(frozen=True)
class Deal:
    opened_on: dt.date
    closed_on: dt.date | None
    status: str  # open | won | lost
    contract_end: dt.date | None = None


@dataclass(frozen=True)
class LeadRecord:
    created_on: dt.date
    closed_on: dt.date | None
    status: str
    score: int | None


@dataclass(frozen=True)
class TouchRecord:
    occurred_on: dt.date  # already in the business zone
    kind: str
    performer_role: str


# The records made for every evaluated account are named tuples: immutable as frozen dataclasses, and made
# in less than half the time (the nightly run makes a few per account).
class AccountFacts(NamedTuple):
    first_won_on: dt.date | None
    won_count: int
    active_customer: bool
    ever_customer: bool
    has_open_opportunity: bool
    has_open_lead: bool
    max_open_lead_score: int | None
    icp_fit: int
    is_target: bool

    def as_json(self) -> dict:
        return {
            "first_won_on": self.first_won_on.isoformat() if self.first_won_on else None,
            "won_count": self.won_count,
            "active_customer": self.active_customer,
            "ever_customer": self.ever_customer,
            "has_open_opportunity": self.has_open_opportunity,
            "has_open_lead": self.has_open_lead,
            "max_open_lead_score": self.max_open_lead_score,
            "icp_fit": self.icp_fit,
            "is_target": self.is_target,
        }


@dataclass(frozen=True)
class RequirementSpec:
    state: str
    code: str
    kind: str
    min_count: int
    window_days: int
    responsible_role: str
    performer_roles: tuple[str, ...] = ()

    def window_start(self, as_of: dt.date) -> dt.date:
        """First date of "within the last p days": [D−p+1, D]."""
        return as_of - dt.timedelta(days=self.window_days - 1)

    def touch_counts(self, touch: TouchRecord) -> bool:
        """Kind and performer role match (the window is checked separately)."""
        return touch.kind == self.kind and (not self.performer_roles or touch.performer_role in self.performer_roles)


class RequirementResult(NamedTuple):
    requirement: RequirementSpec
    counted: int
    gap: int
    status: str
    last_touch_on: dt.date | None
    due_on: dt.date | None


class StateStep(NamedTuple):
    state: str
    since: dt.date
    initial: bool
    transitioned: bool  # True when the state changed from a previous, different state


def within_last_days(day: dt.date | None, as_of: dt.date, days: int) -> bool:
    return day is not None and as_of - dt.timedelta(days=days - 1) <= day <= as_of


def facts_from_aggregates(
    *,
    as_of: dt.date,
    thresholds: Thresholds,
    first_won_on: dt.date | None,
    won_count: int,
    latest_won_closed_on: dt.date | None,
    latest_won_contract_end: dt.date | None,
    open_deals: int,
    open_leads: int,
    max_open_lead_score: int | None,
    icp_fit: int,
    is_target: bool,
) -> AccountFacts:
    """Derived facts (§2) from per-account aggregates over deals and leads already filtered as of D."""
    active = won_count > 0 and (
        (latest_won_contract_end is not None and latest_won_contract_end >= as_of)
        or within_last_days(latest_won_closed_on, as_of, thresholds.churn_after_days)
    )
    return AccountFacts(
        first_won_on=first_won_on,
        won_count=won_count,
        active_customer=active,
        ever_customer=won_count >= 1,
        has_open_opportunity=open_deals > 0,
        has_open_lead=open_leads > 0,
        max_open_lead_score=max_open_lead_score,
        icp_fit=icp_fit,
        is_target=is_target,
    )


def derive_facts(
    *,
    deals: Iterable[Deal],
    leads: Iterable[LeadRecord],
    icp_fit: int,
    is_target: bool,
    as_of: dt.date,
    thresholds: Thresholds,
) -> AccountFacts:
    """The same facts from raw deals and leads (the plain-Python reference of the SQL aggregates)."""
    won = [d for d in deals if d.status == "won" and d.closed_on is not None and d.closed_on <= as_of]
    open_deals = [d for d in deals if d.opened_on <= as_of and (d.closed_on is None or d.closed_on > as_of)]
    open_leads = [lead for lead in leads if lead.created_on <= as_of and (lead.closed_on is None or lead.closed_on > as_of)]
    scores = [lead.score for lead in open_leads if lead.score is not None]
    contract_ends = [d.contract_end for d in won if d.contract_end is not None]
    return facts_from_aggregates(
        as_of=as_of,
        thresholds=thresholds,
        first_won_on=min((d.closed_on for d in won), default=None),
        won_count=len(won),
        latest_won_closed_on=max((d.closed_on for d in won), default=None),
        latest_won_contract_end=max(contract_ends, default=None),
        open_deals=len(open_deals),
        open_leads=len(open_leads),
        max_open_lead_score=max(scores, default=None),
        icp_fit=icp_fit,
        is_target=is_target,
    )


def decide_state(facts: AccountFacts, thresholds: Thresholds, as_of: dt.date) -> tuple[str, str]:
    """The first rule that matches decides (§3). Returns (state, rule name)."""
    if facts.active_customer and within_last_days(facts.first_won_on, as_of, thresholds.onboarding_days):
        return State.ONBOARDING, "onboarding"
    if (
        facts.active_customer
        and facts.first_won_on is not None
        and facts.first_won_on <= as_of - dt.timedelta(days=thresholds.loyal_min_tenure_days)
        and facts.won_count >= thresholds.loyal_min_won_deals
    ):
        return State.LOYAL, "loyal"
    if facts.active_customer:
        return State.ACTIVE, "active"
    if facts.has_open_opportunity:
        return State.NEGOTIATION, "negotiation"
    if facts.ever_customer:
        return State.CHURNED, "churned"
    # An empty lead score never reaches the hot-lead threshold.
    if facts.has_open_lead and facts.max_open_lead_score is not None and facts.max_open_lead_score >= thresholds.hot_lead_min_score:
        return State.HOT_LEAD, "hot_lead"
    if facts.has_open_lead and facts.icp_fit >= thresholds.high_potential_min_fit:
        return State.HIGH_POTENTIAL_LEAD, "high_potential_lead"
    if facts.has_open_lead:
        return State.LEAD, "lead"
    if facts.is_target:
        return State.TARGET_NO_LEAD, "target_no_lead"
    return State.OUT_OF_SCOPE, "out_of_scope"


def advance_state(
    *, previous_state: str, previous_since: dt.date | None, previous_initial: bool, new_state: str, as_of: dt.date
) -> StateStep:
    """state_since is the engine's observation (§3): the recompute date that first saw the current stretch."""
    if not previous_state:
        return StateStep(state=new_state, since=as_of, initial=True, transitioned=False)
    if previous_state == new_state:
        return StateStep(state=new_state, since=previous_since or as_of, initial=previous_initial, transitioned=False)
    return StateStep(state=new_state, since=as_of, initial=False, transitioned=True)


def evaluate_requirement(
    *,
    requirement: RequirementSpec,
    counted: int,
    nth_recent_on: dt.date | None,
    last_touch_on: dt.date | None,
    as_of: dt.date,
    state_since: dt.date,
    state_initial: bool,
) -> RequirementResult:
    """Status of one requirement (§4) from the count in the window and the n-th most recent counting date."""
    n, p = requirement.min_count, requirement.window_days
    gap = max(0, n - counted)
    if counted >= n:
        if nth_recent_on is None:
            raise ValueError("nth_recent_on is required when the requirement is met")
        due_on = nth_recent_on + dt.timedelta(days=p)
        status = DUE_SOON if (due_on - as_of).days <= max(1, p // 5) else COVERED
    else:
        due_on = None
        in_grace = not state_initial and (as_of - state_since).days + 1 < p
        status = GRACE if in_grace else UNDER_COVERED
    return RequirementResult(
        requirement=requirement, counted=counted, gap=gap, status=status, last_touch_on=last_touch_on, due_on=due_on
    )


def count_touches(
    requirement: RequirementSpec, touches: Iterable[TouchRecord], as_of: dt.date
) -> tuple[int, dt.date | None, dt.date | None]:
    """(counted, n-th most recent counting date, last_touch_on) for one requirement, from raw touches."""
    matching = sorted((t.occurred_on for t in touches if requirement.touch_counts(t) and t.occurred_on <= as_of), reverse=True)
    start = requirement.window_start(as_of)
    in_window = [d for d in matching if d >= start]
    n = requirement.min_count
    nth = in_window[n - 1] if len(in_window) >= n else None
    return len(in_window), nth, (matching[0] if matching else None)


@dataclass(frozen=True)
class PlainEvaluation:
    facts: AccountFacts
    state: str
    rule: str
    step: StateStep
    results: tuple[RequirementResult, ...]


def evaluate_account_plain(
    *,
    deals: Sequence[Deal],
    leads: Sequence[LeadRecord],
    touches: Sequence[TouchRecord],
    icp_fit: int,
    is_target: bool,
    requirements_by_state: Mapping[str, Sequence[RequirementSpec]],
    thresholds: Thresholds,
    as_of: dt.date,
    previous_state: str = "",
    previous_since: dt.date | None = None,
    previous_initial: bool = False,
) -> PlainEvaluation:
    """The whole evaluation of one account as of D, in plain Python (the reference implementation)."""
    facts = derive_facts(deals=deals, leads=leads, icp_fit=icp_fit, is_target=is_target, as_of=as_of, thresholds=thresholds)
    state, rule = decide_state(facts, thresholds, as_of)
    step = advance_state(
        previous_state=previous_state, previous_since=previous_since, previous_initial=previous_initial,
        new_state=state, as_of=as_of,
    )
    results = []
    for requirement in requirements_by_state.get(state, ()):
        counted, nth, last = count_touches(requirement, touches, as_of)
        results.append(
            evaluate_requirement(
                requirement=requirement, counted=counted, nth_recent_on=nth, last_touch_on=last, as_of=as_of,
                state_since=step.since, state_initial=step.initial,
            )
        )
    return PlainEvaluation(facts=facts, state=state, rule=rule, step=step, results=tuple(results))


def coverage_class(statuses: Iterable[str]) -> str:
    """How the coverage figures (§9) count an account from its requirements' statuses: under_covered with at least
    one under_covered; grace with a grace and none under_covered; compliant otherwise; "" without requirements."""
    seen = set(statuses)
    if not seen:
        return ""
    if UNDER_COVERED in seen:
        return UNDER_COVERED
    if GRACE in seen:
        return GRACE
    return "compliant"


# --- alerts (§5) ---------------------------------------------------------------------------------


class OpenAlert(NamedTuple):
    id: int
    account_id: int
    state: str
    requirement: str


class UnderCoverage(NamedTuple):
    account_id: int
    state: str
    requirement: str
    responsible_role: str
    assignee_id: int | None
    gap: int
    counted: int
    # Facts the Today priority is made of (engine.worklist); stored on the alert so the list is an index scan.
    last_touch_on: dt.date | None = None
    window_days: int | None = None
    icp_fit: int = 0
    deal_amount: int = 0


# Today's priority, point 1 (engine.worklist): lower is more urgent. Deals and fresh customers are where a missed
# touch costs money soonest.
STATE_WEIGHT: dict[str, int] = {
    "NEGOTIATION": 0,
    "HOT_LEAD": 1,
    "ONBOARDING": 2,
    "LOYAL": 3,
    "ACTIVE": 4,
    "HIGH_POTENTIAL_LEAD": 5,
    "CHURNED": 6,
    "LEAD": 7,
    "TARGET_NO_LEAD": 8,
    "OUT_OF_SCOPE": 9,
}
UNKNOWN_STATE_WEIGHT = 99


def state_weight(state: str) -> int:
    return STATE_WEIGHT.get(state, UNKNOWN_STATE_WEIGHT)


def fell_due_on(*, last_touch_on: dt.date | None, window_days: int | None, opened_on: dt.date) -> dt.date:
    """The day the requirement last fell due: last counting touch + window when there was one, else the day the
    alert opened (Today's priority, point 2)."""
    if last_touch_on is not None and window_days is not None:
        return last_touch_on + dt.timedelta(days=window_days)
    return opened_on


@dataclass
class AlertPlan:
    create: list[UnderCoverage] = field(default_factory=list)
    keep: list[tuple[int, UnderCoverage]] = field(default_factory=list)
    resolve: list[tuple[int, str]] = field(default_factory=list)  # (alert id, resolution)


def reconcile_alerts(
    *,
    open_alerts: Iterable[OpenAlert],
    under_covered: Iterable[UnderCoverage],
    current_state: Mapping[int, str],
    requirement_codes_by_state: Mapping[str, set[str] | frozenset[str]],
) -> AlertPlan:
    """Exactly one open alert per under-covered key; every other open alert is resolved, with its reason.

    `current_state` must hold every account the open alerts belong to.
    """
    wanted = {(u.account_id, u.state, u.requirement): u for u in under_covered}
    plan = AlertPlan()
    seen: set[tuple[int, str, str]] = set()
    for alert in open_alerts:
        key = (alert.account_id, alert.state, alert.requirement)
        if key in wanted and key not in seen:
            plan.keep.append((alert.id, wanted[key]))
            seen.add(key)
            continue
        if current_state.get(alert.account_id) != alert.state:
            resolution = RESOLVED_STATE_CHANGED
        elif alert.requirement not in requirement_codes_by_state.get(alert.state, ()):
            resolution = RESOLVED_STANDARD_CHANGED
        else:
            resolution = RESOLVED_COVERED
        plan.resolve.append((alert.id, resolution))
    plan.create = [u for key, u in wanted.items() if key not in seen]
    return plan


# --- the next date an evaluation can change (incremental nights) ------------------------------------------------


def next_change_on(
    *,
    as_of: dt.date,
    thresholds: Thresholds,
    first_won_on: dt.date | None,
    latest_won_closed_on: dt.date | None,
    latest_won_contract_end: dt.date | None,
    next_dated_fact_on: dt.date | None,
    requirements: Iterable[tuple[RequirementResult, dt.date | None]],
    state_since: dt.date,
) -> dt.date | None:
    """The first date after D on which this account's evaluation can differ from its evaluation as of D, when none
    of its data changes; None when no date can (only new data can change it).

    As D moves and the data stays, an evaluation changes only where a dated rule crosses a threshold:
    - a dated fact comes into view: a deal opened or closed, a lead created or closed, a touch dated after D
      (`next_dated_fact_on`, the earliest such date);
    - a won deal's contract end passes (active customer), the latest won close leaves the churn window, the
      first won date leaves the onboarding window or reaches the loyal tenure (§2, §3);
    - per requirement of the current state (`requirements`: its result as of D and the oldest counting date in
      its window): a counting touch leaves the window (oldest + p), a covered requirement becomes due soon
      (due_on − max(1, ⌊p/5⌋)), a grace ends (state_since + p − 1) (§4).
    Everything else the evaluation reads (alert figures, assignees, ICP fit) is data or configuration, which the
    nightly run watches separately. Dates are conservative: an early date only costs one evaluation that finds
    nothing to change.
    """
    day = dt.timedelta(days=1)
    candidates = [next_dated_fact_on]
    if latest_won_contract_end is not None:
        candidates.append(latest_won_contract_end + day)
    if latest_won_closed_on is not None:
        candidates.append(latest_won_closed_on + dt.timedelta(days=thresholds.churn_after_days))
    if first_won_on is not None:
        candidates.append(first_won_on + dt.timedelta(days=thresholds.onboarding_days))
        candidates.append(first_won_on + dt.timedelta(days=thresholds.loyal_min_tenure_days))
    for result, oldest_in_window_on in requirements:
        p = dt.timedelta(days=result.requirement.window_days)
        if oldest_in_window_on is not None:
            candidates.append(oldest_in_window_on + p)
        if result.status == COVERED and result.due_on is not None:
            candidates.append(result.due_on - dt.timedelta(days=max(1, result.requirement.window_days // 5)))
        if result.status == GRACE:
            candidates.append(state_since + p - day)
    earliest = None
    for candidate in candidates:  # a plain loop: this runs for every evaluated account
        if candidate is not None and candidate > as_of and (earliest is None or candidate < earliest):
            earliest = candidate
    return earliest
