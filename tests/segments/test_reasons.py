"""Transition reasons as sentences (segments.reasons, docs/rules.md §3): every rule code the night writes, with the
facts that decided it, in English and Japanese; an unknown code reads as a sentence, never as raw keys."""

from __future__ import annotations

import pytest
from django.utils import translation

from engine.domain import Thresholds
from segments.reasons import SENTENCES, transition_reason

THRESHOLDS = Thresholds()  # the defaults: 365, 183, 730, 3, 70, 70

CUSTOMER = {"first_won_on": "2026-03-01", "won_count": 4, "active_customer": True, "ever_customer": True,
            "has_open_opportunity": False, "has_open_lead": False, "max_open_lead_score": None, "icp_fit": 55,
            "is_target": True}
FORMER = {**CUSTOMER, "active_customer": False, "won_count": 2}
LEAD = {"first_won_on": None, "won_count": 0, "active_customer": False, "ever_customer": False,
        "has_open_opportunity": False, "has_open_lead": True, "max_open_lead_score": 92, "icp_fit": 75,
        "is_target": True}

# rule, facts, sentence with the thresholds, sentence without them.
CASES = [
    ("onboarding", CUSTOMER, "Onboarding: the first deal was won on 2026-03-01, within the 183-day onboarding period.",
     "Onboarding: a new customer, the first deal was won on 2026-03-01."),
    ("loyal", CUSTOMER, "Loyal: a customer since 2026-03-01 with 4 won deals; loyal takes 730 days and 3 won deals.",
     "Loyal: a customer since 2026-03-01 with 4 won deals."),
    ("active", CUSTOMER,
     "Active customer since 2026-03-01: a contract is in force or a deal was won in the last 365 days.",
     "Active customer since 2026-03-01: a contract is in force or a deal was won recently."),
    ("negotiation", {**LEAD, "has_open_opportunity": True}, "Negotiation: a deal is open.",
     "Negotiation: a deal is open."),
    ("churned", FORMER,
     "Churned: a former customer (2 won deals) with no contract in force and no deal won in the last 365 days.",
     "Churned: a former customer (2 won deals) with no contract in force and no recent deal."),
    ("hot_lead", LEAD, "Hot lead: an open lead scored 92, the threshold is 70.", "Hot lead: an open lead scored 92."),
    ("high_potential_lead", {**LEAD, "max_open_lead_score": 60},
     "High-potential lead: an open lead at an account of ICP fit 75, the threshold is 70.",
     "High-potential lead: an open lead at an account of ICP fit 75."),
    ("lead", {**LEAD, "max_open_lead_score": 60, "icp_fit": 40},
     "Lead: an open lead scored 60 at an account of ICP fit 40.",
     "Lead: an open lead scored 60 at an account of ICP fit 40."),
    ("target_no_lead", {**LEAD, "has_open_lead": False},
     "Target without a lead: the account is in the target market, with no open lead, deal or contract.",
     "Target without a lead: the account is in the target market, with no open lead, deal or contract."),
    ("out_of_scope", {**LEAD, "has_open_lead": False, "is_target": False},
     "Out of scope: the account is not in the target market and has no lead, deal or customer history.",
     "Out of scope: the account is not in the target market and has no lead, deal or customer history."),
]

JAPANESE = {
    "hot_lead": "商談可能性高保有リード: 未クローズのリードのスコアが92で、しきい値は70です。",
    "churned": "離反顧客: 過去の顧客（受注2件）で、有効な契約がなく、直近365日以内の受注もありません。",
    "target_no_lead": "リード未保有ターゲット: ターゲット市場の取引先で、未クローズのリード・商談・契約がありません。",
}


def test_every_rule_code_the_engine_writes_has_a_sentence():
    assert set(SENTENCES) == {case[0] for case in CASES}
    assert len(CASES) == 10  # the ten rules of docs/rules.md §3


@pytest.mark.parametrize(("rule", "facts", "with_thresholds", "without"), CASES, ids=[c[0] for c in CASES])
def test_english_sentence_names_the_facts_and_the_threshold(rule, facts, with_thresholds, without):
    with translation.override("en"):
        assert transition_reason(rule, facts, THRESHOLDS) == with_thresholds
        assert transition_reason(rule, facts) == without
        # The state codes (as older rows and fixtures write them) read the same.
        assert transition_reason(rule.upper(), facts, THRESHOLDS) == with_thresholds


def test_thresholds_are_the_ones_given():
    with translation.override("en"):
        assert transition_reason("hot_lead", LEAD, Thresholds(hot_lead_min_score=85)) == (
            "Hot lead: an open lead scored 92, the threshold is 85.")


@pytest.mark.parametrize(("rule", "facts", "with_thresholds", "without"), CASES, ids=[c[0] for c in CASES])
def test_japanese_sentence_keeps_the_figures_and_shows_no_raw_keys(rule, facts, with_thresholds, without):
    translation.activate("ja")
    try:
        sentence = transition_reason(rule, facts, THRESHOLDS)
    finally:
        translation.activate("en")
    for figure in ("2026-03-01", "92", "365", "183", "730"):
        assert (figure in sentence) == (figure in with_thresholds)
    assert "_" not in sentence and "=" not in sentence
    if sentence == with_thresholds:
        pytest.skip("the Japanese catalog does not have this sentence yet (merged by the lead)")
    if rule in JAPANESE:
        assert sentence == JAPANESE[rule]


@pytest.mark.parametrize("facts", [{}, None, {"max_open_lead_score": "high", "first_won_on": None}])
def test_missing_or_odd_facts_still_give_a_sentence(facts):
    with translation.override("en"):
        assert transition_reason("hot_lead", facts, THRESHOLDS) == "Hot lead: an open lead with a high score."
        assert transition_reason("loyal", facts) == "Loyal: a long-standing customer with repeated deals."
        assert transition_reason("lead", facts) == "Lead: an open lead."


def test_an_unknown_rule_reads_as_a_generic_sentence_without_raw_keys():
    with translation.override("en"):
        sentence = transition_reason("manual_override", {"active_customer": False, "won_count": 0})
        assert sentence == "The state rules placed the account in this state (rule: manual override)."
        assert transition_reason("", {}) == "The state rules placed the account in this state."
    assert "active_customer" not in sentence and "=" not in sentence
