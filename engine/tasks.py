"""Celery entry points of the nightly pipeline: thin, taking ids and dates, each calling one service.

No chord (celery#2725): the run is split into chunk tasks and closed by `finish_recompute_task`, which
checks that every chunk is done and retries until they are. Chunks are idempotent, so a chunk redelivered
after a worker died (acks_late + reject_on_worker_lost) does no harm.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.core.exceptions import ValidationError

from core.dispatch import dispatch
from core.timeutil import business_today
from coverage_console.celery import app
from dashboards.night_figures import night_figures_of
from dashboards.tasks import night_figures_task

from . import services
from .models import RecomputeRun

logger = logging.getLogger(__name__)


@shared_task(name="engine.run_nightly_recompute")
def run_nightly_recompute(as_of: str | None = None, chunk_size: int = services.DEFAULT_CHUNK_SIZE) -> int | None:
    day = dt.date.fromisoformat(as_of) if as_of else business_today()
    try:
        run = services.recompute_run_start(as_of=day, chunk_size=chunk_size)
    except services.RunInProgress as busy:
        logger.warning("nightly recompute skipped: %s", busy.messages[0])
        return None
    # Published through core.dispatch (fast to fail, never raising): a broker that refuses a chunk or the finish
    # step fails the run at once, visibly, instead of leaving it running until it is abandoned as stale.
    for chunk_id in run.chunks.order_by("index").values_list("id", flat=True):
        if not dispatch(recompute_chunk_task, chunk_id):
            services.recompute_run_fail(run_id=run.id, error=f"the broker did not take chunk {chunk_id}")
            return run.id
    if not dispatch(finish_recompute_task, run.id, countdown=0 if _eager() else 2):
        services.recompute_run_fail(run_id=run.id, error="the broker did not take the finish step")
    return run.id


@shared_task(name="engine.recompute_chunk", acks_late=True, reject_on_worker_lost=True)
def recompute_chunk_task(chunk_id: int) -> bool:
    return services.recompute_chunk(chunk_id=chunk_id)


@shared_task(name="engine.finish_recompute", bind=True, max_retries=None)
def finish_recompute_task(self, run_id: int) -> str:
    try:
        run = services.recompute_run_finish(run_id=run_id)
    except ValidationError as exc:
        if RecomputeRun.objects.filter(id=run_id, status=RecomputeRun.Status.RUNNING).exists():
            raise self.retry(exc=exc, countdown=finish_retry_countdown(self.request.retries))
        raise
    # Committed: the night's dashboard figures in their own job (dashboards.night_figures); a publish that fails
    # leaves it pending for the dispatch sweep.
    figures_id = night_figures_of(run_id=run.id)
    if figures_id is not None:
        dispatch(night_figures_task, figures_id)
    return run.status


def finish_retry_countdown(retries: int) -> int:
    """Seconds before the finish step looks again for chunks not done: 5 s at first, doubling to a minute. A chunk
    whose worker died whole comes back only after the visibility timeout (an hour by default): looking every 5 s
    all that time would be 720 tasks for nothing."""
    return min(60, 5 * 2 ** min(retries, 4))


def _eager() -> bool:
    return bool(app.conf.task_always_eager)
