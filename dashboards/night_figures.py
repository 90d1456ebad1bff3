"""A completed night's dashboard figures, kept by a job of their own after the night commits (docs/architecture.md,
"Dashboard figures").

The night (engine.services.recompute_run_finish) keeps its daily figures (trends, the coverage JSON of
docs/rules.md §9) inside the transaction that holds the run and records a NightFigures row pending there; once that
commits, the Celery finish step publishes `dashboards.tasks.night_figures_task` (engine.tasks), and a night run in
one process (engine.services.recompute_all: `recompute_coverage`, the demo) runs the job itself before it returns.
Counting the rest — depth and breadth, the funnel, moves and content mix, the workload, the outcome facts — reads
every account and its history (about a minute at a million accounts), so it is not done while the run is held: the
next run, a logged touch's re-evaluation and the Today page do not wait for it. The pages read the latest night
whose figures are kept (dashboards.selectors.kept_nights).

The job:
- claims its row pending → running (compare-and-set: a message delivered twice runs once; the dispatch sweep
  publishes a row left pending again);
- takes a lock one job holds at a time, so jobs for several nights (a backfill, two workers) run one after another;
- reads in one REPEATABLE READ transaction (PostgreSQL), so every figure sees the same data, and keeps them all or
  none. The figures read the accounts' evaluations as they are: once a later run has started they may be that run's
  already, so the job then keeps nothing (superseded) rather than file a later night's states under this date —
  the later night's job keeps its own, and its moves start from the last night whose figures were kept.
"""

from __future__ import annotations

import logging
import time

from django.db import connection, transaction
from django.utils import timezone

from core.locks import held_alone
from engine.models import RecomputeRun

from .depth import depth_snapshot_write
from .funnel import funnel_snapshot_write
from .models import NightFigures
from .outcome_snapshots import outcome_snapshot_write
from .workload import workload_snapshot_write

logger = logging.getLogger(__name__)

LOCK = "dashboards.night_figures"


def night_figures_record(*, run: RecomputeRun) -> NightFigures:
    """The run's figures to keep, pending (in the night's transaction: a night that commits always has one)."""
    kept, _created = NightFigures.objects.get_or_create(run=run)
    return kept


def night_figures_of(*, run_id: int) -> int | None:
    """The figures' job of a completed run (None for a run that did not complete)."""
    return NightFigures.objects.filter(run_id=run_id).values_list("id", flat=True).first()


def night_figures_write(*, figures_id: int) -> str:
    """Run one recorded job (module docstring); returns its status. Never raises: a failure is recorded (and
    logged) on the row, and the pages go on showing the last night whose figures were kept."""
    claimed = NightFigures.objects.filter(id=figures_id, status=NightFigures.Status.PENDING).update(
        status=NightFigures.Status.RUNNING, started_at=timezone.now())
    if not claimed:  # delivered twice, or already done
        return NightFigures.objects.filter(id=figures_id).values_list("status", flat=True).first() or ""
    started = time.perf_counter()
    try:
        with held_alone(LOCK):
            status = _write_consistently(figures_id, started)
    except Exception as exc:
        logger.exception("the figures of night job %s failed", figures_id)
        NightFigures.objects.filter(id=figures_id).update(
            status=NightFigures.Status.FAILED, finished_at=timezone.now(), message=str(exc)[:1000],
            seconds=round(time.perf_counter() - started, 3))
        return NightFigures.Status.FAILED
    return status


def _write_consistently(figures_id: int, started: float) -> str:
    outermost = transaction.get_autocommit()
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # before any read: one snapshot for every figure
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        kept = NightFigures.objects.select_related("run").get(id=figures_id)
        night = kept.run.as_of
        # Runs start in date order (engine.services refuses an earlier date), so a later run is a later night.
        if RecomputeRun.objects.filter(id__gt=kept.run_id).exists():
            status = NightFigures.Status.SUPERSEDED
        else:
            depth_snapshot_write(as_of=night)  # depth and breadth per role, owner, team (dashboards.depth)
            workload_snapshot_write(as_of=night)  # touches asked for in the next 30 days (dashboards.workload)
            funnel_snapshot_write(as_of=night)  # funnel, moves and content mix (dashboards.funnel)
            outcome_snapshot_write(as_of=night)  # the latest night's outcome facts (dashboards.outcome_snapshots)
            status = NightFigures.Status.SUCCEEDED
        NightFigures.objects.filter(id=figures_id).update(
            status=status, finished_at=timezone.now(), seconds=round(time.perf_counter() - started, 3))
    return status
