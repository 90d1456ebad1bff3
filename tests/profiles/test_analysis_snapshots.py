"""Precomputed analyses: what the background job stores rebuilds exactly what the live set-based selectors
return on the same accounts, for every choice the pages offer, so precomputation cannot drift."""

import datetime as dt
from decimal import Decimal

import pytest

from core.choices import State
from profiles.analysis import domain
from profiles.analysis import selectors as sel
from profiles.analysis import snapshots as snap
from profiles.models import AnalysisRefresh, ProfileAnalysis
from profiles.scoring import version_spec
from profiles.services import analysis_compute, analysis_refresh_execute, analysis_refresh_queue, profile_save
from tests.factories import AccountFactory, OpportunityFactory, TouchFactory

pytestmark = pytest.mark.django_db

CRITERIA = [
    {"attribute": "industry", "op": "in", "value": ["manufacturing", "it"], "weight": 40},
    {"attribute": "employees", "op": "between", "value": [300, 4999], "weight": 30},
    {"attribute": "departments", "op": "contains", "value": "marketing", "weight": 20},
    {"attribute": "listed", "op": "is_true", "weight": 10},
]


@pytest.fixture
def market():
    """Loyal and active customers with 0 … 12 won deals, leads, an out-of-scope account and odd values."""
    industries = ["manufacturing", " Manufacturing", "retail", "it", "", "<b>x</b>"]
    accounts = []
    for i in range(60):
        state = [State.LOYAL, State.ACTIVE, State.ACTIVE, State.LEAD, State.ONBOARDING, State.OUT_OF_SCOPE][i % 6]
        account = AccountFactory(
            name=f"Company {i}", state=state, industry=industries[i % len(industries)],
            employees=None if i % 11 == 0 else [20, 120, 800, 2500, 9000][i % 5],
            annual_revenue=[None, 50_000_000, 2_000_000_000, 500_000_000_000][i % 4],
            revenue_growth_pct=Decimal(i % 7 * 3 - 4), listed=[True, False, None][i % 3],
            departments=[["Marketing", "sales"], ["it"], [], [" marketing "]][i % 4],
            regions=[["関東"], ["関西", "関東"], []][i % 3], technologies=[["Salesforce"], ["hubspot", "SALESFORCE"], []][i % 3],
            prefecture=["東京都", "大阪府", ""][i % 3], icp_tier=["A", "B", "C", ""][i % 4])
        if state == State.ACTIVE:
            for _ in range(i % 13):  # 0 … 12 won deals
                OpportunityFactory(account=account, status="won", closed_on=dt.date(2026, 2, 1))
        OpportunityFactory(account=account, status="lost", closed_on=dt.date(2026, 2, 1))
        if i % 4 == 0:
            TouchFactory(account=account)
        accounts.append(account)
    return accounts


def test_the_stored_review_rebuilds_the_live_review(market):
    version = profile_save(name="Mid-market", criteria=CRITERIA, rescore=False)
    spec = version_spec(version.profile, version)
    stored = analysis_compute(kind=ProfileAnalysis.Kind.REVIEW, version=version)
    assert snap.review_from_data(stored.data, spec) == sel.profile_review(spec)


def test_a_review_of_more_than_twelve_criteria_is_stored_alike(market):
    criteria = [{"attribute": "employees", "op": "gte", "value": n, "weight": n % 7 + 1} for n in range(0, 1400, 100)]
    version = profile_save(name="Many", criteria=criteria, rescore=False)
    spec = version_spec(version.profile, version)
    stored = analysis_compute(kind=ProfileAnalysis.Kind.REVIEW, version=version)
    assert len(criteria) > sel.MAX_COMBINATION_CRITERIA
    assert snap.review_from_data(stored.data, spec) == sel.profile_review(spec)


# Every choice the form allows (it asks for at least one group of best customers).
BEST_CUSTOMER_CHOICES = [(loyal, wins) for loyal in (True, False) for wins in (None, 1, 2, 3, 5, 10)
                         if loyal or wins is not None]


@pytest.mark.parametrize(("loyal", "active_min_wins"), BEST_CUSTOMER_CHOICES)
@pytest.mark.parametrize("min_sample", [1, 3, 30])
def test_the_stored_counts_give_the_live_learning_for_every_choice(market, loyal, active_min_wins, min_sample):
    data = analysis_compute(kind=ProfileAnalysis.Kind.LEARN).data
    live = sel.best_customer_learning(loyal=loyal, active_min_wins=active_min_wins, min_sample=min_sample)
    assert snap.learning_from_data(data, loyal=loyal, active_min_wins=active_min_wins, min_sample=min_sample) == live


def test_learning_counts_stop_at_the_largest_choice_of_won_deals(market):
    data = snap.learning_data()
    with pytest.raises(ValueError):
        snap.learning_from_data(data, active_min_wins=domain.MAX_REPEAT_WINS + 1)


def test_the_stored_breadth_is_the_live_breadth(market):
    as_of = dt.date.today()
    stored = analysis_compute(kind=ProfileAnalysis.Kind.BREADTH, as_of=as_of)
    assert stored.as_of == as_of
    assert snap.breadth_from_data(stored.data) == sel.breadth_by_segment(as_of=as_of)


def test_the_stored_accounts_per_tier_count_the_stored_best_fit(market):
    version = profile_save(name="Mid-market", criteria=CRITERIA, rescore=False)
    AccountFactory.create_batch(3, icp_profile=version.profile, icp_tier="A")
    AccountFactory(icp_profile=version.profile, icp_tier="C")
    data = analysis_compute(kind=ProfileAnalysis.Kind.TIERS).data
    assert data["profiles"] == {str(version.profile_id): {"A": 3, "C": 1}}


def test_a_refresh_stores_every_snapshot_once_and_records_its_progress(market, django_capture_on_commit_callbacks):
    first = profile_save(name="Mid-market", criteria=CRITERIA, rescore=False)
    profile_save(name="Mid-market", criteria=CRITERIA[:2], rescore=False)
    profile_save(name="Other", criteria=CRITERIA[2:], rescore=False)
    with django_capture_on_commit_callbacks(execute=True):
        run = analysis_refresh_queue(actor=None, reason="button", version=first)
    run.refresh_from_db()
    assert run.status == AnalysisRefresh.Status.SUCCEEDED and (run.steps_done, run.steps_total) == (6, 6)
    kinds = sorted(ProfileAnalysis.objects.values_list("kind", "version__number"))
    assert kinds == [("breadth", None), ("learn", None), ("review", 1), ("review", 1), ("review", 2), ("tiers", None)]
    # Running it again (a redelivered message) does nothing; a new refresh replaces the rows, never adds.
    assert analysis_refresh_execute(run_id=run.id) == AnalysisRefresh.Status.SUCCEEDED
    with django_capture_on_commit_callbacks(execute=True):
        analysis_refresh_queue(actor=None, reason="nightly")
    assert ProfileAnalysis.objects.count() == 6


def test_a_pending_refresh_is_reused_rather_than_queued_twice(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = analysis_refresh_queue(actor=None, reason="rescore")
        second = analysis_refresh_queue(actor=None, reason="nightly")
    assert first == second and len(callbacks) == 1


def test_a_finished_rescoring_run_refreshes_the_snapshots(market, django_capture_on_commit_callbacks):
    from profiles.models import RescoreRun
    from profiles.services import rescore_run_execute

    version = profile_save(name="Mid-market", criteria=CRITERIA, rescore=False)
    run = RescoreRun.objects.create(reason="save", profile=version.profile)
    with django_capture_on_commit_callbacks(execute=True):
        assert rescore_run_execute(run_id=run.id) == RescoreRun.Status.SUCCEEDED
    refresh = AnalysisRefresh.objects.get()
    assert (refresh.reason, refresh.status) == ("rescore", AnalysisRefresh.Status.SUCCEEDED)
    tiers = ProfileAnalysis.objects.get(kind="tiers").data["profiles"][str(version.profile_id)]
    assert sum(tiers.values()) == len(market)  # every account, target or not, scored by the only profile
    assert ProfileAnalysis.objects.filter(kind="review", version=version).exists()


def test_a_failed_rescoring_run_queues_no_refresh(db, monkeypatch, django_capture_on_commit_callbacks):
    from profiles import services
    from profiles.models import RescoreRun

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "rescore_accounts", boom)
    run = RescoreRun.objects.create(reason="save")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.rescore_run_execute(run_id=run.id) == RescoreRun.Status.FAILED
    assert not AnalysisRefresh.objects.exists()


def test_a_refresh_that_fails_is_recorded_not_raised(db, monkeypatch):
    from profiles import services

    def boom(**kwargs):
        raise RuntimeError("statement timeout")

    monkeypatch.setattr(services, "analysis_compute", boom)
    run, _ = services.analysis_refresh_record(actor=None, reason="button")
    assert analysis_refresh_execute(run_id=run.id) == AnalysisRefresh.Status.FAILED
    run.refresh_from_db()
    assert run.status == "failed" and "statement timeout" in run.message


def test_the_nightly_hook_records_and_runs_a_refresh(db):
    from profiles.tasks import analysis_refresh_task

    assert analysis_refresh_task() == AnalysisRefresh.Status.SUCCEEDED
    assert AnalysisRefresh.objects.get().reason == "nightly"
    assert set(ProfileAnalysis.objects.values_list("kind", flat=True)) == {"learn", "breadth", "tiers"}
