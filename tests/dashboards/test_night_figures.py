"""A night's dashboard figures are kept by a job of their own once the night commits (dashboards.night_figures): the
night completes without them, the pages read the latest night whose figures are kept, a failed job leaves the
night complete and keeps nothing of its own, a message delivered twice keeps the figures once, a job that runs
after a later night started keeps nothing under its date and the later night keeps its moves."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connections
from rest_framework.test import APIClient

from core.choices import State
from core.dispatch import PENDING_WORK, dispatch_sweep
from core.locks import held_alone
from dashboards import night_figures
from dashboards.models import DepthSnapshot, FunnelSnapshot, MovementSnapshot, NightFigures, OutcomeSnapshot
from dashboards.tasks import night_figures_task
from engine import services
from engine.models import RecomputeRun
from engine.tasks import run_nightly_recompute
from tests.engine.nights import seed_configuration
from tests.factories import AccountFactory, OpportunityFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_readers")]

D = dt.date(2026, 7, 20)
FUNNEL_API = "/api/v1/dashboards/funnel/"


@pytest.fixture
def published(monkeypatch):
    """The nights' figures jobs, held instead of run (as a broker holds them until a worker takes them)."""
    held: list[int] = []
    monkeypatch.setattr(services, "night_figures_write", lambda *, figures_id: held.append(figures_id))
    return held


@pytest.fixture
def deal(sales):
    """An account in NEGOTIATION from D's night; its deal is won the day after (a move dated D + 1)."""
    seed_configuration()
    account = AccountFactory(owner_sales=sales)
    return OpportunityFactory(account=account, opened_on=D - dt.timedelta(days=30))


def _win(deal, on):
    deal.status, deal.closed_on = "won", on
    deal.save()


def _funnel(user, query=""):
    api = APIClient()
    api.force_authenticate(user)
    return api.get(f"{FUNNEL_API}?{query}", HTTP_ACCEPT_LANGUAGE="en")


def _run(held):
    return night_figures.night_figures_write(figures_id=held.pop(0))


def test_the_night_completes_and_its_figures_are_kept_by_their_own_job(deal, manager):
    run = services.recompute_all(as_of=D)
    kept = NightFigures.objects.get(run=run)
    assert (run.status, kept.status) == (RecomputeRun.Status.COMPLETED, NightFigures.Status.SUCCEEDED)
    assert kept.finished_at is not None and kept.seconds is not None
    assert FunnelSnapshot.objects.filter(as_of=D, state=State.NEGOTIATION).exists()
    assert DepthSnapshot.objects.filter(as_of=D).exists()
    assert _funnel(manager).json()["as_of"] == D.isoformat()


def test_the_night_does_not_count_them_and_the_pages_wait_for_them(deal, manager, published):
    run = services.recompute_all(as_of=D)
    assert run.status == RecomputeRun.Status.COMPLETED
    assert NightFigures.objects.get(run=run).status == NightFigures.Status.PENDING
    assert not FunnelSnapshot.objects.exists() and not DepthSnapshot.objects.exists()
    assert not OutcomeSnapshot.objects.exists()
    assert _funnel(manager).json()["as_of"] is None  # no night's figures kept yet
    refused = _funnel(manager, f"as_of={D.isoformat()}")
    assert refused.status_code == 400
    assert "not kept yet" in refused.json()["as_of"][0]

    assert _run(published) == NightFigures.Status.SUCCEEDED
    assert _funnel(manager).json()["as_of"] == D.isoformat()
    assert _funnel(manager, f"as_of={D.isoformat()}").status_code == 200


def test_a_failed_job_leaves_the_night_complete_and_keeps_nothing_of_its_own(deal, manager, monkeypatch):
    services.recompute_all(as_of=D)
    _win(deal, D + dt.timedelta(days=1))

    def broken(*, as_of):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(night_figures, "outcome_snapshot_write", broken)  # the last writer: the others ran
    run = services.recompute_all(as_of=D + dt.timedelta(days=1))
    kept = NightFigures.objects.get(run=run)
    assert run.status == RecomputeRun.Status.COMPLETED
    assert (kept.status, kept.message) == (NightFigures.Status.FAILED, "the disk is full")
    assert not FunnelSnapshot.objects.filter(as_of=run.as_of).exists()  # all or nothing
    assert not DepthSnapshot.objects.filter(as_of=run.as_of).exists()
    assert _funnel(manager).json()["as_of"] == D.isoformat()  # the last night whose figures are kept


def test_a_message_delivered_twice_keeps_the_figures_once(deal, published, monkeypatch):
    services.recompute_all(as_of=D)
    figures_id = published[0]
    assert night_figures_task(figures_id) == NightFigures.Status.SUCCEEDED
    rows = FunnelSnapshot.objects.count()
    writes = []
    monkeypatch.setattr(night_figures, "funnel_snapshot_write", lambda *, as_of: writes.append(as_of))
    assert night_figures_task(figures_id) == NightFigures.Status.SUCCEEDED
    assert writes == [] and FunnelSnapshot.objects.count() == rows


def test_the_celery_night_publishes_the_figures_job_after_its_finish(deal, manager):
    run_id = run_nightly_recompute(as_of=D.isoformat())  # eager here: every task runs in turn
    assert RecomputeRun.objects.get(id=run_id).status == RecomputeRun.Status.COMPLETED
    assert NightFigures.objects.get(run_id=run_id).status == NightFigures.Status.SUCCEEDED
    assert _funnel(manager).json()["as_of"] == D.isoformat()


def test_a_job_after_a_later_night_started_keeps_nothing_and_the_later_night_keeps_its_moves(deal, manager,
                                                                                              published):
    services.recompute_all(as_of=D)
    _run(published)  # D's figures kept
    _win(deal, D + dt.timedelta(days=1))
    late = services.recompute_all(as_of=D + dt.timedelta(days=1))  # the move NEGOTIATION → ONBOARDING, dated D + 1
    services.recompute_all(as_of=D + dt.timedelta(days=2))  # the next night started before D + 1's job ran
    assert _run(published) == NightFigures.Status.SUPERSEDED
    assert not FunnelSnapshot.objects.filter(as_of=late.as_of).exists()
    assert NightFigures.objects.get(run=late).status == NightFigures.Status.SUPERSEDED

    assert _run(published) == NightFigures.Status.SUCCEEDED
    moves = set(MovementSnapshot.objects.values_list("as_of", "from_state", "to_state"))
    assert (late.as_of, State.NEGOTIATION, State.ONBOARDING) in moves
    data = _funnel(manager, f"from={D.isoformat()}&to={(D + dt.timedelta(days=2)).isoformat()}").json()
    assert data["as_of"] == (D + dt.timedelta(days=2)).isoformat()
    assert [(m["from_state"], m["to_state"], m["moves"]) for m in data["movement"]] == [
        (State.NEGOTIATION, State.ONBOARDING, 1)]


def test_a_job_left_pending_is_published_again_by_the_sweep(deal, published):
    run = services.recompute_all(as_of=D)
    published.clear()  # the broker lost it
    figures_work = tuple(w for w in PENDING_WORK if w.model == "dashboards.NightFigures")
    assert figures_work, "the sweep must know the figures' job"
    later = NightFigures.objects.get(run=run).created_at + dt.timedelta(minutes=2)
    assert dispatch_sweep(now=later, kinds=figures_work) == 1
    assert NightFigures.objects.get(run=run).status == NightFigures.Status.SUCCEEDED  # eager: run by the sweep
    assert FunnelSnapshot.objects.filter(as_of=D).exists()


def test_one_job_at_a_time_holds_the_lock(require_postgres):
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            with held_alone(night_figures.LOCK):
                cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [night_figures.LOCK])
                assert cursor.fetchone()[0] is False
            cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [night_figures.LOCK])
            assert cursor.fetchone()[0] is True
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_every_figure_of_a_job_reads_one_snapshot(require_postgres, monkeypatch):
    """Outside a caller's transaction (a worker, recompute_coverage) the job's statements share one REPEATABLE READ
    snapshot: the figures of a night agree with each other."""
    run = RecomputeRun.objects.create(as_of=D, status=RecomputeRun.Status.COMPLETED)
    kept = NightFigures.objects.create(run=run)
    seen = []

    def isolation(*, as_of):
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT current_setting('transaction_isolation')")
            seen.append(cursor.fetchone()[0])

    for writer in ("depth_snapshot_write", "workload_snapshot_write", "funnel_snapshot_write",
                   "outcome_snapshot_write"):
        monkeypatch.setattr(night_figures, writer, isolation)
    assert night_figures.night_figures_write(figures_id=kept.id) == NightFigures.Status.SUCCEEDED
    assert seen == ["repeatable read"] * 4
