"""Coverage figures (docs/rules.md §9): accounts per state, compliant / under-covered / grace, and breadth.

The figures are read from each account's AccountEvaluation (written by the pipeline); the rules that fill it are
tested in tests/engine (coverage_class, and the property test that holds the figures to a count from the
coverage rows and touches after random nights).
"""

import datetime as dt

import pytest

from contacts.models import Touch
from dashboards.selectors import coverage_figures
from engine.models import AccountEvaluation, RecomputeRun
from tests.factories import AccountFactory, kept_night

pytestmark = pytest.mark.django_db

D = dt.date(2026, 7, 20)


def _account(state, coverage="", last_touch_on=None, touches=(), after_night=False):
    account = AccountFactory(state=state)
    AccountEvaluation.objects.create(account=account, state=state, coverage=coverage, last_touch_on=last_touch_on,
                                     after_night=after_night)
    for day in touches:
        Touch.objects.create(account=account, kind="digital", performer_role="marketing", occurred_on=day,
                             occurred_at=dt.datetime.combine(day, dt.time(3), tzinfo=dt.timezone.utc))
    return account


def test_every_state_is_listed_and_accounts_count_by_their_coverage():
    kept_night(D)
    for coverage in ("under_covered", "under_covered", "grace", "compliant"):
        _account("LOYAL", coverage)
    _account("TARGET_NO_LEAD")  # a state without requirements: counted, never classified
    _account("OUT_OF_SCOPE")
    figures = coverage_figures()
    assert figures["as_of"] == "2026-07-20"
    assert figures["by_state"]["LOYAL"] == {"accounts": 4, "compliant": 1, "under_covered": 2, "grace": 1}
    assert figures["by_state"]["TARGET_NO_LEAD"] == {"accounts": 1, "compliant": 0, "under_covered": 0, "grace": 0}
    assert figures["by_state"]["ONBOARDING"] == {"accounts": 0, "compliant": 0, "under_covered": 0, "grace": 0}
    assert figures["by_state"]["OUT_OF_SCOPE"]["accounts"] == 1
    assert figures["breadth"]["target_accounts"] == 5  # every account not OUT_OF_SCOPE


def test_without_a_completed_recompute_every_figure_is_zero():
    _account("LOYAL", "compliant")
    figures = coverage_figures()
    assert figures["as_of"] is None
    assert figures["breadth"] == {"target_accounts": 0, "touched_30d": 0, "touched_90d": 0}


@pytest.mark.parametrize("last_touch_on, touched_30d, touched_90d", [
    (D, 1, 1),
    (D - dt.timedelta(days=29), 1, 1),  # the 30th day back is within the last 30 days
    (D - dt.timedelta(days=30), 0, 1),
    (D - dt.timedelta(days=89), 0, 1),
    (D - dt.timedelta(days=90), 0, 0),
    (None, 0, 0),
])
def test_breadth_counts_target_accounts_touched_within_the_last_30_and_90_days(last_touch_on, touched_30d,
                                                                                touched_90d):
    kept_night(D)
    _account("LEAD", last_touch_on=last_touch_on)
    _account("OUT_OF_SCOPE", last_touch_on=D)  # not a target account
    assert coverage_figures()["breadth"] == {"target_accounts": 1, "touched_30d": touched_30d,
                                             "touched_90d": touched_90d}


@pytest.mark.parametrize("touches, touched_30d, touched_90d", [
    ((D + dt.timedelta(days=1),), 0, 0),  # only a touch after D: not seen
    ((D + dt.timedelta(days=1), D - dt.timedelta(days=40)), 0, 1),
    ((D + dt.timedelta(days=1), D - dt.timedelta(days=3)), 1, 1),
])
def test_an_account_evaluated_after_d_is_counted_by_its_touches_up_to_d(touches, touched_30d, touched_90d):
    # A touch logged today re-evaluates its account at once, after the night of D (flagged so).
    kept_night(D)
    _account("LEAD", last_touch_on=max(touches), touches=touches, after_night=True)
    assert coverage_figures()["breadth"] == {"target_accounts": 1, "touched_30d": touched_30d,
                                             "touched_90d": touched_90d}


@pytest.mark.parametrize("later_run", [RecomputeRun.Status.FAILED, RecomputeRun.Status.RUNNING,
                                       RecomputeRun.Status.COMPLETED])
def test_figures_as_of_d_look_at_every_evaluation_after_d_when_a_later_run_wrote_some(later_run):
    # A run for D+1 evaluated this account as of D+1 (it failed or is running: D is still the latest completed,
    # or D's figures are asked for after D+1 completed): not a logged touch's evaluation, so not flagged.
    kept_night(D)
    RecomputeRun.objects.create(as_of=D + dt.timedelta(days=1), status=later_run)
    _account("LEAD", last_touch_on=D + dt.timedelta(days=1), touches=(D + dt.timedelta(days=1), D - dt.timedelta(days=3)))
    assert coverage_figures(as_of=D)["breadth"] == {"target_accounts": 1, "touched_30d": 1, "touched_90d": 1}
