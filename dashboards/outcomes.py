"""Does coverage pay? Outcomes of accounts that met the standard against those that did not (docs/rules.md §10),
summed from the facts the latest night kept (dashboards.outcome_snapshots) — never counted again from accounts,
transitions or alerts.

Three cohorts over a period [start, end] (the 180 days to the night by default), each split by "met the standard"
(no coverage alert of the cohort's states open for the account at any time in the span that counts) and by the
account's ICP tier:

- **negotiation** — entries into NEGOTIATION by a transition dated in the period; the outcome is the account's next
  transition: won when it goes to a customer state, lost when it goes anywhere else, open while there is none;
  rate = won ÷ (won + lost);
- **customers** — accounts in a customer state (ONBOARDING, ACTIVE, LOYAL) on the period's first day; rate = those
  that left that stretch for CHURNED within (start, end] ÷ all of them;
- **leads** — accounts in a lead state (HOT_LEAD, HIGH_POTENTIAL_LEAD, LEAD) on the first day; rate = those that
  left that stretch for NEGOTIATION or a customer state within (start, end] ÷ all of them.

Each side's rate comes with a 95 % Wilson interval (dashboards.stats). A verdict only when both sides have at least
MIN_SAMPLE accounts and the intervals do not overlap. One aggregate over the night's kept rows (the undated ones
and those dated from the period's first day), whatever the number of accounts; the filters narrow the rows as the
funnel's do (dashboards.funnel.narrow: owner, team or the reader's scope, industry, region, ICP tier).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from core.choices import State

from .filtering import DashboardFilters, FilterError
from .funnel import completed_night, narrow
from .models import OutcomeSnapshot
from .outcome_facts import CUSTOMER_STATES, LEAD_STATES
from .outcome_snapshots import KEEP_DAYS, window_floor
from .stats import Rate, overlaps, rate

logger = logging.getLogger(__name__)

MIN_SAMPLE = 30  # accounts per side below which no verdict is given
DEFAULT_DAYS = 180
MAX_DAYS = 731
TIERS = ("A", "B", "C", "none")  # "none": accounts without an ICP tier
COHORTS = ("negotiation", "customers", "leads")
# Whether a higher rate is the better outcome (won, converted) or the worse one (churned).
HIGHER_IS_BETTER = {"negotiation": True, "customers": False, "leads": True}
COHORT_OF_STATE = {State.NEGOTIATION.value: "negotiation", **dict.fromkeys(CUSTOMER_STATES, "customers"),
                   **dict.fromkeys(LEAD_STATES, "leads")}


def cohorts_for(state: str) -> tuple[str, ...]:
    """The cohorts a state filter keeps: the one whose states hold it (none for the other states)."""
    if not state:
        return COHORTS
    return (COHORT_OF_STATE[state],) if state in COHORT_OF_STATE else ()


def period(f: DashboardFilters, night: dt.date) -> tuple[dt.date, dt.date]:
    """[start, end] of the filter's `from` and `to`: the DEFAULT_DAYS days to the night by default; the end at most
    the night (the facts go no further), the start within the kept window. FilterError names the field."""
    end = min(f.date_to or night, night)
    try:
        start = f.date_from or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    except OverflowError:
        raise FilterError({"to": [_("too early a date.")]}) from None
    if start > end:
        raise FilterError({"from": [_("must not be after to (the latest night is %(day)s).")
                                    % {"day": night.isoformat()}]})
    if (end - start).days + 1 > MAX_DAYS:
        raise FilterError({"from": [_("the period is at most %(n)s days.") % {"n": MAX_DAYS}]})
    if start <= window_floor(night):
        raise FilterError({"from": [_("figures are kept for the %(n)s days to the latest night: from %(day)s on.")
                                    % {"n": KEEP_DAYS, "day": (window_floor(night) + dt.timedelta(days=1)).isoformat()}]})
    return start, end


@dataclass(frozen=True)
class Comparison:
    """One cohort (or one tier of it): the met side against the not-met side."""

    met: Rate
    not_met: Rate
    open_met: int  # negotiation entries with no outcome yet, not in the rates
    open_not_met: int
    verdict: str  # too_few | met_better | met_worse | no_difference


def verdict(met: Rate, not_met: Rate, *, higher_is_better: bool, min_sample: int = MIN_SAMPLE) -> str:
    """`too_few` below min_sample accounts on either side; `no_difference` when the intervals overlap; otherwise
    whether the accounts that met the standard did better or worse."""
    if met.n < min_sample or not_met.n < min_sample:
        return "too_few"
    if overlaps(met, not_met):
        return "no_difference"
    return "met_better" if (met.rate > not_met.rate) == higher_is_better else "met_worse"


def _sums(start: dt.date, end: dt.date) -> dict[str, Sum]:
    """Each figure the comparisons need, as a conditional sum over the kept rows (docs: dashboards.outcome_facts)."""
    in_period = Q(day__gte=start, day__lte=end)
    after = Q(day__gt=start)
    held = Q(since__lte=start)  # the stretch (or the clear stretch before an alert) holds the first day
    until_end = Q(day__gt=start, day__lte=end)
    sums = {f"entry_{outcome}_{int(met)}": Q(kind="entry", outcome=outcome, met=met) & in_period
            for outcome in ("hit", "miss", "open") for met in (True, False)}
    sums.update({
        "now": Q(kind="now"), "start": Q(kind="start") & after, "end": Q(kind="end") & after & held,
        "now_alert": Q(kind="now_alert"), "alert_start": Q(kind="alert_start") & after,
        "alert_end": Q(kind="alert_end") & after & held, "taint": Q(kind="taint") & until_end & held,
        "hit_1": Q(kind="hit", clear__lte=start) & until_end & held,
        "hit_0": Q(kind="hit", clear__gt=start) & until_end & held,
    })
    return {name: Sum("accounts", filter=condition, default=0) for name, condition in sums.items()}


def comparison(cohort: str, s: dict[str, int]) -> Comparison:
    """One cohort's comparison from its sums."""
    better = HIGHER_IS_BETTER[cohort]
    if cohort == "negotiation":
        met = rate(s["entry_hit_1"], s["entry_hit_1"] + s["entry_miss_1"])
        not_met = rate(s["entry_hit_0"], s["entry_hit_0"] + s["entry_miss_0"])
        return Comparison(met, not_met, s["entry_open_1"], s["entry_open_0"],
                          verdict(met, not_met, higher_is_better=better))
    accounts = s["now"] + s["end"] - s["start"]
    not_met_n = s["now_alert"] + s["alert_end"] - s["alert_start"] + s["taint"]
    met_n = accounts - not_met_n
    if met_n < s["hit_1"] or not_met_n < s["hit_0"]:  # never with one night's facts (tests/dashboards/test_outcome_facts)
        logger.warning("outcomes: inconsistent kept facts for %s: %s", cohort, dict(s))
        met_n, not_met_n = max(met_n, s["hit_1"]), max(not_met_n, s["hit_0"])
    met, not_met = rate(s["hit_1"], met_n), rate(s["hit_0"], not_met_n)
    return Comparison(met, not_met, 0, 0, verdict(met, not_met, higher_is_better=better))


@dataclass
class OutcomeFigures:
    night: dt.date | None
    start: dt.date | None = None
    end: dt.date | None = None
    cohorts: dict[str, dict] = field(default_factory=dict)  # cohort → {"overall": Comparison, "by_tier": {…}}


def outcome_sums(f: DashboardFilters, night: dt.date, start: dt.date, end: dt.date) -> dict[tuple[str, str], dict]:
    """(cohort, tier) → the sums: one aggregate over the night's rows the filter selects."""
    rows = narrow(OutcomeSnapshot.objects.filter(as_of=night), f).filter(Q(day__isnull=True) | Q(day__gte=start))
    found = {}
    for row in rows.values("cohort", "icp_tier").annotate(**_sums(start, end)).order_by():
        found[row.pop("cohort"), row.pop("icp_tier") or "none"] = row
    return found


def outcome_figures(f: DashboardFilters) -> OutcomeFigures:
    """Each cohort the filter's state keeps, overall and by tier (A, B, C, none — every tier listed, zeros included;
    only the filter's tier when it has one), for the filter's period as of the latest night. FilterError names a
    bad period."""
    night = completed_night(None)  # the night whose completion kept the facts
    if night is None:
        return OutcomeFigures(night=None)
    start, end = period(f, night)
    figures = OutcomeFigures(night=night, start=start, end=end)
    sums = outcome_sums(f, night, start, end)
    tiers = (f.icp_tier,) if f.icp_tier else TIERS
    for cohort in cohorts_for(f.state):
        by_tier = {tier: sums.get((cohort, tier), defaultdict(int)) for tier in tiers}
        overall: dict[str, int] = defaultdict(int)
        for values in by_tier.values():
            for name, n in values.items():
                overall[name] += n
        figures.cohorts[cohort] = {"overall": comparison(cohort, overall),
                                   "by_tier": {tier: comparison(cohort, v) for tier, v in by_tier.items()}}
    return figures


def rate_dict(value: Rate) -> dict:
    rounded = (lambda x: None if x is None else round(x, 4))
    return {"accounts": value.n, "hits": value.hits, "rate": rounded(value.rate), "low": rounded(value.low),
            "high": rounded(value.high)}


def comparison_dict(value: Comparison) -> dict:
    return {"met": rate_dict(value.met), "not_met": rate_dict(value.not_met),
            "open": {"met": value.open_met, "not_met": value.open_not_met}, "verdict": value.verdict}


def outcomes_payload(f: DashboardFilters) -> dict:
    """The API's answer: the night, the period, the minimum sample, the filters, and each cohort overall and by
    tier."""
    found = outcome_figures(f)
    iso = (lambda day: day.isoformat() if day else None)
    return {"as_of": iso(found.night), "from": iso(found.start), "to": iso(found.end), "min_sample": MIN_SAMPLE,
            "scope": f.scope.name, "filters": f.query(**{"from": "", "to": "", "as_of": ""}),
            "cohorts": {name: {"overall": comparison_dict(c["overall"]),
                               "by_tier": {t: comparison_dict(v) for t, v in c["by_tier"].items()}}
                        for name, c in found.cohorts.items()}}
