"""Why an account is in its state, as a sentence (docs/rules.md §3).

`transition_reason` turns a transition's rule code and the facts the night recorded with it
(`engine.domain.AccountFacts.as_json`) into one translated sentence with the figures that decided it — the account
page's state history and the "What changed overnight" page read it instead of the raw facts. Pure: no database.
Given the thresholds (`segments.StateThresholds` or `engine.domain.Thresholds`), a sentence also names the threshold;
without them (the thresholds then may not be the ones of that night) it names the facts only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _date(value: Any) -> str | None:
    return str(value)[:10] if value else None


def _threshold(thresholds: Any, name: str) -> int | None:
    return _number(getattr(thresholds, name, None)) if thresholds is not None else None


def _onboarding(facts: Mapping, thresholds: Any) -> str:
    first_won, days = _date(facts.get("first_won_on")), _threshold(thresholds, "onboarding_days")
    if first_won and days:
        return _("Onboarding: the first deal was won on %(date)s, within the %(days)s-day onboarding period.") % {
            "date": first_won, "days": days}
    if first_won:
        return _("Onboarding: a new customer, the first deal was won on %(date)s.") % {"date": first_won}
    return _("Onboarding: a new customer.")


def _loyal(facts: Mapping, thresholds: Any) -> str:
    first_won, won = _date(facts.get("first_won_on")), _number(facts.get("won_count"))
    tenure, minimum = _threshold(thresholds, "loyal_min_tenure_days"), _threshold(thresholds, "loyal_min_won_deals")
    if first_won and won is not None and tenure and minimum:
        return _("Loyal: a customer since %(date)s with %(won)s won deals; loyal takes %(days)s days and "
                 "%(minimum)s won deals.") % {"date": first_won, "won": won, "days": tenure, "minimum": minimum}
    if first_won and won is not None:
        return _("Loyal: a customer since %(date)s with %(won)s won deals.") % {"date": first_won, "won": won}
    return _("Loyal: a long-standing customer with repeated deals.")


def _active(facts: Mapping, thresholds: Any) -> str:
    first_won, days = _date(facts.get("first_won_on")), _threshold(thresholds, "churn_after_days")
    if first_won and days:
        return _("Active customer since %(date)s: a contract is in force or a deal was won in the last %(days)s days."
                 ) % {"date": first_won, "days": days}
    if first_won:
        return _("Active customer since %(date)s: a contract is in force or a deal was won recently.") % {
            "date": first_won}
    return _("Active customer: a contract is in force or a deal was won recently.")


def _negotiation(facts: Mapping, thresholds: Any) -> str:
    return _("Negotiation: a deal is open.")


def _churned(facts: Mapping, thresholds: Any) -> str:
    won, days = _number(facts.get("won_count")), _threshold(thresholds, "churn_after_days")
    if won is not None and days:
        return _("Churned: a former customer (%(won)s won deals) with no contract in force and no deal won in the "
                 "last %(days)s days.") % {"won": won, "days": days}
    if won is not None:
        return _("Churned: a former customer (%(won)s won deals) with no contract in force and no recent deal.") % {
            "won": won}
    return _("Churned: a former customer with no contract in force and no recent deal.")


def _hot_lead(facts: Mapping, thresholds: Any) -> str:
    score, minimum = _number(facts.get("max_open_lead_score")), _threshold(thresholds, "hot_lead_min_score")
    if score is not None and minimum is not None:
        return _("Hot lead: an open lead scored %(score)s, the threshold is %(minimum)s.") % {
            "score": score, "minimum": minimum}
    if score is not None:
        return _("Hot lead: an open lead scored %(score)s.") % {"score": score}
    return _("Hot lead: an open lead with a high score.")


def _high_potential_lead(facts: Mapping, thresholds: Any) -> str:
    fit, minimum = _number(facts.get("icp_fit")), _threshold(thresholds, "high_potential_min_fit")
    if fit is not None and minimum is not None:
        return _("High-potential lead: an open lead at an account of ICP fit %(fit)s, the threshold is %(minimum)s."
                 ) % {"fit": fit, "minimum": minimum}
    if fit is not None:
        return _("High-potential lead: an open lead at an account of ICP fit %(fit)s.") % {"fit": fit}
    return _("High-potential lead: an open lead at an account that fits the ideal profile.")


def _lead(facts: Mapping, thresholds: Any) -> str:
    score, fit = _number(facts.get("max_open_lead_score")), _number(facts.get("icp_fit"))
    if score is not None and fit is not None:
        return _("Lead: an open lead scored %(score)s at an account of ICP fit %(fit)s.") % {"score": score, "fit": fit}
    if fit is not None:
        return _("Lead: an open lead without a score at an account of ICP fit %(fit)s.") % {"fit": fit}
    return _("Lead: an open lead.")


def _target_no_lead(facts: Mapping, thresholds: Any) -> str:
    return _("Target without a lead: the account is in the target market, with no open lead, deal or contract.")


def _out_of_scope(facts: Mapping, thresholds: Any) -> str:
    return _("Out of scope: the account is not in the target market and has no lead, deal or customer history.")


# The rule codes engine.domain.decide_state returns (docs/rules.md §3), in rule order.
SENTENCES: dict[str, Callable[[Mapping, Any], str]] = {
    "onboarding": _onboarding,
    "loyal": _loyal,
    "active": _active,
    "negotiation": _negotiation,
    "churned": _churned,
    "hot_lead": _hot_lead,
    "high_potential_lead": _high_potential_lead,
    "lead": _lead,
    "target_no_lead": _target_no_lead,
    "out_of_scope": _out_of_scope,
}


def transition_reason(rule: str, facts: Mapping | None, thresholds: Any = None) -> str:
    """The sentence for a transition's rule and facts, in the active language; a readable generic sentence for a
    rule code this version does not know (the code is shown in words, the facts never as raw keys)."""
    sentence = SENTENCES.get((rule or "").strip().lower())
    if sentence is None:
        words = (rule or "").replace("_", " ").strip().lower()
        if not words:
            return _("The state rules placed the account in this state.")
        return _("The state rules placed the account in this state (rule: %(rule)s).") % {"rule": words}
    return sentence(facts if isinstance(facts, Mapping) else {}, thresholds)
