"""The state thresholds' preview holds its contract: each side is what the next night leaves — the night run with the
saved thresholds ("current") and the night run after saving the proposal ("proposed"), as of the day after the latest
completed run, nothing else changed. Compared: every account's state (so the flow between them), the state changes
and handoffs the night records, the under-covered accounts, the open alerts by responsible role, by owner and
unassigned (docs/rules.md §3–§5, §8). On SQLite and, with DATABASE_URL, on PostgreSQL (an incremental current night)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from core.choices import State
from engine.models import AccountEvaluation, Alert, CoverageRow
from engine.pipeline import EngineConfig
from engine.preview import preview_next_night, thresholds_config
from engine.services import recompute_all
from handoffs.models import Handoff
from segments.models import StateThresholds, StateTransition, ThresholdPreviewJob
from segments.services import THRESHOLD_FIELDS, thresholds_update
from segments.threshold_preview import threshold_preview_request, threshold_preview_run
from tests.engine import nights
from tests.next_night import D1, first_night, night_rolled_back  # noqa: F401 (first_night: a fixture)

pytestmark = pytest.mark.django_db
D = nights.D


def night_outcome() -> tuple[dict, dict[int, str]]:
    """What the night of D1 left, in the preview's terms, and each account's state."""
    open_alerts = Alert.objects.filter(status=Alert.Status.OPEN)
    states = dict(Account.objects.values_list("id", "state"))
    outcome = {
        "accounts_by_state": {s: sum(1 for v in states.values() if v == s) for s in State.values},
        "under_covered_accounts": open_alerts.values("account_id").distinct().count(),
        "alerts": open_alerts.count(),
        "alerts_by_role": dict(sorted(Counter(open_alerts.values_list("responsible_role", flat=True)).items())),
        "alerts_by_owner": dict(sorted(Counter(
            u for u in open_alerts.values_list("assignee__username", flat=True) if u).items())),
        "alerts_unassigned": open_alerts.filter(assignee__isnull=True).count(),
        "transitions": StateTransition.objects.filter(as_of=D1).exclude(from_state="").count(),
        "handoffs": Handoff.objects.filter(created_on=D1).count(),
    }
    return outcome, states


def next_night(changes: dict | None) -> tuple[dict, dict[int, str]]:
    """The next night's outcome, rolled back: with the thresholds saved first when there are changes."""
    return night_rolled_back(D1, read=night_outcome,
                             save=(lambda: thresholds_update(changes=changes, actor=None)) if changes else None)


def run_preview(user, changes: dict, *, chunk_size: int = 7) -> dict:
    job, created = threshold_preview_request(actor=user, changes=changes)
    assert created and job.status == ThresholdPreviewJob.Status.QUEUED  # queued: the test's transaction never commits
    assert threshold_preview_run(job_id=job.pk, chunk_size=chunk_size)
    job.refresh_from_db()
    assert (job.status, job.progress, job.error) == (ThresholdPreviewJob.Status.DONE, 100, "")
    return job.result


def assert_contract(user, changes: dict) -> dict:
    result = run_preview(user, changes)
    assert result["as_of"] == D1.isoformat()
    current, current_states = next_night(None)
    proposed, proposed_states = next_night(changes)
    assert result["current"] == current
    assert result["proposed"] == proposed
    flow = Counter((current_states[a], proposed_states[a]) for a in current_states)
    order = {state: i for i, state in enumerate(State.values)}
    assert result["flow"] == [{"from": a, "to": b, "accounts": n} for (a, b), n in
                              sorted(flow.items(), key=lambda item: (order[item[0][0]], order[item[0][1]])) if a != b]
    assert result["unchanged"] == sum(n for (a, b), n in flow.items() if a == b)
    assert result["accounts"] == len(current_states)
    saved = StateThresholds.load()
    assert result["changed"] == [f for f in THRESHOLD_FIELDS if f in changes and changes[f] != getattr(saved, f)]
    return result


def test_a_lower_hot_lead_score_moves_leads_to_hot_lead(first_night, manager):
    result = assert_contract(manager, {"hot_lead_min_score": 50})
    assert result["flow"] and all(row["to"] == State.HOT_LEAD for row in result["flow"])
    assert result["changed"] == ["hot_lead_min_score"]


def test_a_higher_hot_lead_score_moves_hot_leads_back(first_night, manager):
    result = assert_contract(manager, {"hot_lead_min_score": 95, "high_potential_min_fit": 0})
    assert {row["from"] for row in result["flow"]} == {State.HOT_LEAD, State.LEAD}
    assert {row["to"] for row in result["flow"]} == {State.HIGH_POTENTIAL_LEAD}


def test_customer_thresholds_move_customers(first_night, manager):
    result = assert_contract(manager, {"onboarding_days": 30, "loyal_min_tenure_days": 60, "loyal_min_won_deals": 1,
                                       "churn_after_days": 120})
    assert result["proposed"]["transitions"] > result["current"]["transitions"]
    assert result["proposed"]["handoffs"] >= 1


def test_a_proposal_equal_to_the_saved_thresholds_moves_nothing(first_night, manager):
    result = assert_contract(manager, {"hot_lead_min_score": 70})
    assert result["flow"] == [] and result["changed"] == []
    assert result["current"] == result["proposed"]


def test_the_preview_writes_nothing_but_its_job(first_night, manager):
    before = nights.snapshot()
    evaluations = list(AccountEvaluation.objects.order_by("account_id").values_list())
    coverage = list(CoverageRow.objects.order_by("id").values_list())
    run_preview(manager, {"hot_lead_min_score": 10, "onboarding_days": 10})
    assert nights.snapshot() == before
    assert list(AccountEvaluation.objects.order_by("account_id").values_list()) == evaluations
    assert list(CoverageRow.objects.order_by("id").values_list()) == coverage


def _queries(chunk_size: int) -> int:
    current = EngineConfig.load()
    proposed = thresholds_config(current, current.thresholds.__class__(
        **{**{f: getattr(current.thresholds, f) for f in THRESHOLD_FIELDS}, "hot_lead_min_score": 40}))
    with CaptureQueriesContext(connection) as queries:
        preview_next_night(configs=[current, proposed], as_of=D1, chunk_size=chunk_size)
    return len(queries)


def test_a_fixed_number_of_queries_per_chunk_whatever_its_size(db):
    nights.seed_configuration()
    nights.build(accounts=80, seed=11)
    recompute_all(as_of=D)
    nights.change(on=D1, every=4)
    large = _queries(20)  # four chunks of twenty accounts
    first = Account.objects.order_by("id").first().id
    Account.objects.filter(id__gte=first + 40).delete()
    assert _queries(10) == large  # four chunks of ten
    assert large <= 1 + 4 * 9  # the id bounds; per chunk its transaction, the planner settings and six reads


def test_progress_is_reported_after_each_chunk(first_night):
    config = EngineConfig.load()
    seen = []
    preview_next_night(configs=[config, config], as_of=D1, chunk_size=10, on_progress=lambda *p: seen.append(p))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_without_accounts_the_preview_is_empty(db, manager):
    nights.seed_configuration()
    result = run_preview(manager, {"hot_lead_min_score": 50})
    assert (result["accounts"], result["flow"], result["unchanged"]) == (0, [], 0)
    assert result["proposed"]["alerts"] == 0


def test_on_postgresql_the_current_side_is_the_incremental_night(first_night, manager, require_postgres):
    # Nothing saved since the first night: the next night re-evaluates only changed and due accounts.
    assert connection.vendor == "postgresql"
    assert_contract(manager, {"high_potential_min_fit": 10})
