"""The coverage rules as pure functions: every rule and example of docs/rules.md §2–§5 (no database)."""

import datetime as dt

import pytest

from engine import domain
from engine.domain import (
    Deal, LeadRecord, RequirementSpec, Thresholds, TouchRecord, advance_state, count_touches, decide_state,
    derive_facts, evaluate_requirement, reconcile_alerts,
)

D = dt.date(2026, 7, 20)
T = Thresholds()


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def facts(**kw):
    base = dict(deals=[], leads=[], icp_fit=0, is_target=True, as_of=D, thresholds=T)
    base.update(kw)
    return derive_facts(**base)


def won(closed_on, contract_end=None, opened_on=None):
    return Deal(opened_on=opened_on or closed_on - days(30), closed_on=closed_on, status="won", contract_end=contract_end)


@pytest.mark.parametrize(
    ("deals", "leads", "icp_fit", "is_target", "expected"),
    [
        # ONBOARDING: active, first won within the last 183 days (D−182 counts, D−183 does not).
        ([won(D - days(182))], [], 0, True, "ONBOARDING"),
        ([won(D - days(183))], [], 0, True, "ACTIVE"),
        # LOYAL: first won ≤ D−730 and ≥ 3 won deals, still active.
        ([won(D - days(730)), won(D - days(400)), won(D - days(10))], [], 0, True, "LOYAL"),
        ([won(D - days(729)), won(D - days(400)), won(D - days(10))], [], 0, True, "ACTIVE"),
        ([won(D - days(800)), won(D - days(10))], [], 0, True, "ACTIVE"),
        # active_customer is a plain OR: closed within 365 days keeps it active even with a past contract_end.
        ([won(D - days(364), contract_end=D - days(100))], [], 0, True, "ACTIVE"),
        ([won(D - days(365), contract_end=D - days(1))], [], 0, True, "CHURNED"),
        ([won(D - days(900), contract_end=D)], [], 0, True, "ACTIVE"),
        # NEGOTIATION beats CHURNED; an open deal that is won later is still open before its close.
        ([won(D - days(900)), Deal(D - days(5), D + days(3), "won")], [], 0, True, "NEGOTIATION"),
        ([Deal(D - days(5), None, "open")], [], 0, True, "NEGOTIATION"),
        ([Deal(D + days(1), None, "open")], [], 0, True, "TARGET_NO_LEAD"),
        ([Deal(D - days(40), D - days(1), "lost")], [], 0, True, "TARGET_NO_LEAD"),
        # A deal won after D is not won as of D.
        ([Deal(D - days(40), D + days(1), "won")], [], 0, True, "NEGOTIATION"),
        # Leads: hot at score ≥ 70, an empty score never hot; high potential by ICP fit ≥ 70.
        ([], [LeadRecord(D - days(3), None, "open", 70)], 0, True, "HOT_LEAD"),
        ([], [LeadRecord(D - days(3), None, "open", 69)], 0, True, "LEAD"),
        ([], [LeadRecord(D - days(3), None, "open", None)], 90, True, "HIGH_POTENTIAL_LEAD"),
        ([], [LeadRecord(D - days(3), None, "open", None)], 69, True, "LEAD"),
        ([], [LeadRecord(D - days(3), D, "converted", 90)], 0, True, "TARGET_NO_LEAD"),
        ([], [LeadRecord(D - days(3), D + days(1), "converted", 90)], 0, True, "HOT_LEAD"),
        ([], [LeadRecord(D + days(1), None, "open", 90)], 0, False, "OUT_OF_SCOPE"),
        ([], [], 0, False, "OUT_OF_SCOPE"),
        ([], [LeadRecord(D - days(1), None, "open", 10)], 0, False, "LEAD"),
    ],
)
def test_the_first_matching_state_rule_decides(deals, leads, icp_fit, is_target, expected):
    f = facts(deals=deals, leads=leads, icp_fit=icp_fit, is_target=is_target)
    assert decide_state(f, T, D)[0] == expected


def test_thresholds_are_read_from_settings_not_constants():
    f = facts(leads=[LeadRecord(D - days(3), None, "open", 60)])
    assert decide_state(f, T, D)[0] == "LEAD"
    assert decide_state(f, Thresholds(hot_lead_min_score=60), D)[0] == "HOT_LEAD"


HUMAN_7 = RequirementSpec("NEGOTIATION", "human", "human", 1, 7, "sales")
HUMAN_30 = RequirementSpec("ACTIVE", "human", "human", 1, 30, "sales")
DIGITAL_2_30 = RequirementSpec("LEAD", "digital", "digital", 2, 30, "marketing")
EXEC_365 = RequirementSpec("LOYAL", "executive", "human", 1, 365, "csm", ("executive",))


def touch(day, kind="human", role="sales"):
    return TouchRecord(occurred_on=day, kind=kind, performer_role=role)


def evaluate(req, touches, *, since=D - days(400), initial=False):
    counted, nth, last = count_touches(req, touches, D)
    return evaluate_requirement(requirement=req, counted=counted, nth_recent_on=nth, last_touch_on=last, as_of=D,
                                state_since=since, state_initial=initial)


def test_a_touch_on_the_first_day_of_the_window_counts_and_one_day_earlier_does_not():
    assert evaluate(HUMAN_7, [touch(D - days(6))]).counted == 1  # D−p+1
    result = evaluate(HUMAN_7, [touch(D - days(7))])  # D−p
    assert (result.counted, result.gap, result.status, result.last_touch_on) == (0, 1, "under_covered", D - days(7))


def test_touches_after_the_as_of_date_are_not_seen():
    result = evaluate(HUMAN_7, [touch(D + days(1))])
    assert (result.counted, result.last_touch_on) == (0, None)


@pytest.mark.parametrize(
    ("req", "touch_day", "status"),
    [
        # due_on = touch + p; due_soon when due_on − D ≤ max(1, ⌊p/5⌋).
        (HUMAN_7, D - days(6), "due_soon"),  # due D+1: 1 ≤ 1
        (HUMAN_7, D - days(5), "covered"),  # due D+2
        (HUMAN_30, D - days(24), "due_soon"),  # due D+6: 6 ≤ 6
        (HUMAN_30, D - days(23), "covered"),  # due D+7
        (EXEC_365, D - days(292), "due_soon"),  # due D+73: 73 ≤ 73
        (EXEC_365, D - days(291), "covered"),
        (RequirementSpec("X", "x", "human", 1, 3, "sales"), D - days(2), "due_soon"),  # p=3: max(1, 0) = 1, due D+1
        (RequirementSpec("X", "x", "human", 1, 3, "sales"), D - days(1), "covered"),  # due D+2
    ],
)
def test_due_soon_threshold_is_a_fifth_of_the_window_and_at_least_one_day(req, touch_day, status):
    role = "executive" if req is EXEC_365 else "sales"
    result = evaluate(req, [touch(touch_day, role=role)])
    assert result.due_on == touch_day + days(req.window_days)
    assert result.status == status


def test_due_on_is_the_nth_most_recent_counting_touch_plus_the_window():
    touches = [touch(D - days(2), "digital"), touch(D - days(10), "digital"), touch(D - days(20), "digital")]
    result = evaluate(DIGITAL_2_30, touches)
    assert (result.counted, result.gap, result.due_on, result.status) == (3, 0, D - days(10) + days(30), "covered")


def test_several_touches_on_one_date_count_several():
    result = evaluate(DIGITAL_2_30, [touch(D - days(3), "digital"), touch(D - days(3), "digital")])
    assert (result.counted, result.gap, result.due_on) == (2, 0, D - days(3) + days(30))


def test_only_touches_by_the_performer_roles_count_and_last_touch_ignores_the_window_not_the_role():
    touches = [touch(D - days(5), role="csm"), touch(D - days(400), role="executive")]
    result = evaluate(EXEC_365, touches)
    assert (result.counted, result.last_touch_on, result.status) == (0, D - days(400), "under_covered")


def test_the_kind_must_match():
    assert evaluate(HUMAN_7, [touch(D, kind="digital")]).counted == 0


def test_grace_after_a_transition_while_fewer_than_p_days_have_passed():
    # Entered on D−5 (6 days incl. today) < 7 → grace; entered on D−6 (7 days) → under_covered.
    assert evaluate(HUMAN_7, [], since=D - days(5)).status == "grace"
    assert evaluate(HUMAN_7, [], since=D - days(6)).status == "under_covered"
    assert evaluate(HUMAN_7, [], since=D - days(5)).due_on is None


def test_no_grace_on_the_initial_classification():
    assert evaluate(HUMAN_7, [], since=D, initial=True).status == "under_covered"


def test_state_since_is_the_recompute_that_first_saw_the_state():
    first = advance_state(previous_state="", previous_since=None, previous_initial=False, new_state="LEAD", as_of=D)
    assert (first.since, first.initial, first.transitioned) == (D, True, False)
    same = advance_state(previous_state="LEAD", previous_since=D - days(9), previous_initial=True, new_state="LEAD", as_of=D)
    assert (same.since, same.initial, same.transitioned) == (D - days(9), True, False)
    moved = advance_state(previous_state="LEAD", previous_since=D - days(9), previous_initial=True, new_state="HOT_LEAD", as_of=D)
    assert (moved.since, moved.initial, moved.transitioned) == (D, False, True)


def uc(account_id, state, code):
    return domain.UnderCoverage(account_id, state, code, "sales", None, 1, 0)


def test_alerts_open_keep_and_resolve_with_the_right_reason():
    open_alerts = [
        domain.OpenAlert(1, 10, "NEGOTIATION", "human"),  # still under-covered: kept
        domain.OpenAlert(2, 11, "NEGOTIATION", "human"),  # covered now
        domain.OpenAlert(3, 12, "LEAD", "digital"),  # account moved on
        domain.OpenAlert(4, 13, "LEAD", "old-code"),  # requirement removed from the standard
    ]
    plan = reconcile_alerts(
        open_alerts=open_alerts,
        under_covered=[uc(10, "NEGOTIATION", "human"), uc(14, "ACTIVE", "human")],
        current_state={10: "NEGOTIATION", 11: "NEGOTIATION", 12: "HOT_LEAD", 13: "LEAD", 14: "ACTIVE"},
        requirement_codes_by_state={"NEGOTIATION": {"human"}, "LEAD": {"digital"}, "ACTIVE": {"human"}},
    )
    assert [alert_id for alert_id, _ in plan.keep] == [1]
    assert sorted(plan.resolve) == [(2, "covered"), (3, "state_changed"), (4, "standard_changed")]
    assert [(u.account_id, u.requirement) for u in plan.create] == [(14, "human")]
