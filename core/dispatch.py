"""Queueing background work so that a broker outage can never fail the request that asked for it.

Work that must happen is recorded in the database first, in the caller's transaction — a row whose status is
"pending" (profiles.RescoreRun, profiles.AnalysisRefresh, core.ImportRun, dashboards.NightFigures) — and its task is published once that
transaction commits, by `dispatch_on_commit(task, *args)`. Every place that queues a task calls it.

- Publishing fails fast: the broker's connection and publish retries are bounded in settings
  (CELERY_BROKER_CONNECTION_TIMEOUT, CELERY_TASK_PUBLISH_RETRY_POLICY, the broker's socket_connect_timeout), and
  no result is subscribed to (`ignore_result`: nothing reads them; subscribing to a dead Redis result store cost
  19 s of retries per publish).
- A failure to publish is logged, never raised: the request answers as it would have, the row stays pending (the
  pages show it queued), and nothing is published twice by a client that retries.
- `dispatch_sweep` (Celery beat, every minute: CELERY_BEAT_SCHEDULE "dispatch-sweep") publishes again the work of
  PENDING_WORK still pending a minute after it was recorded — left undispatched by a broker outage, or by a process
  that died between its commit and the publish. Each task claims its row pending → running (compare-and-set), so a
  message sent twice runs the work once; the sweep's messages expire before the next sweep, so a long queue holds
  at most one of them per row.

Another kind of work joins by recording a pending row and adding a PendingWork here (with `args` when its task
takes more than the row's id).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# Work recorded this long ago and still pending is published again by the sweep.
SWEEP_AFTER = dt.timedelta(minutes=1)
# The sweep's messages expire after this: a broker back up delivers them at once, and a queue longer than this
# drops them unread (the next sweep sends another) instead of piling one up per row per minute.
SWEEP_MESSAGE_EXPIRES = 55
# Rows per kind per sweep: a backlog is published a batch a minute.
SWEEP_BATCH = 100


def dispatch(task, *args, **options) -> bool:
    """Publish `task(*args)` now; False (logged) when the broker could not take it. When Celery runs tasks eagerly
    (no REDIS_URL, and the tests) the task runs here and its own errors propagate, as they always did."""
    if task.app.conf.task_always_eager:
        task.apply_async(args, **options)
        return True
    try:
        task.apply_async(args, ignore_result=True, **options)
    except Exception:  # any broker or network error: the row stays pending for the sweep
        logger.warning("could not queue %s%r: the broker did not take it; dispatch_sweep will send it again",
                       task.name, args, exc_info=True)
        return False
    return True


def dispatch_on_commit(task, *args, **options) -> None:
    """Publish `task(*args)` once the current transaction commits (at once outside one), never raising for the
    broker: record the work it does as a pending row in the same transaction, so the sweep can find it."""
    transaction.on_commit(lambda: dispatch(task, *args, **options))


def _row_id(row) -> tuple:
    return (row.pk,)


@dataclass(frozen=True)
class PendingWork:
    """A kind of recorded work the sweep looks at: rows of `model` ("app_label.Model") whose `status_field` is
    `pending` and whose `recorded_field` is older than SWEEP_AFTER are published to `task` (a dotted path) with
    `args(row)`."""

    model: str
    task: str
    args: Callable[[object], tuple] = _row_id
    status_field: str = "status"
    pending: str = "pending"
    recorded_field: str = "created_at"
    # Further lookups a pending row must match, when not every pending row is queued work (an ImportRun is
    # pending from its upload; only the runs with a job were queued).
    where: tuple[tuple[str, object], ...] = ()


PENDING_WORK: tuple[PendingWork, ...] = (
    PendingWork("profiles.RescoreRun", "profiles.tasks.rescore_accounts_task"),
    PendingWork("profiles.AnalysisRefresh", "profiles.tasks.analysis_refresh_task"),
    PendingWork("core.ImportRun", "core.tasks.import_file_task", recorded_field="started_at",
                where=(("options__has_key", "job"),)),
    PendingWork("segments.ThresholdPreviewJob", "segments.tasks.threshold_preview_task", pending="queued"),
    PendingWork("dashboards.NightFigures", "dashboards.tasks.night_figures_task"),
)


def dispatch_sweep(*, now: dt.datetime | None = None, kinds: tuple[PendingWork, ...] | None = None) -> int:
    """Publish the work recorded before now − SWEEP_AFTER and still pending, SWEEP_BATCH rows per kind, oldest
    first; stops at the first refusal (the broker is still down: the next sweep tries again). One query per kind.
    Returns how many messages were published."""
    cutoff = (now or timezone.now()) - SWEEP_AFTER
    published = 0
    for work in PENDING_WORK if kinds is None else kinds:
        model, task = apps.get_model(work.model), import_string(work.task)
        rows = model.objects.filter(**{work.status_field: work.pending, f"{work.recorded_field}__lt": cutoff},
                                    **dict(work.where))
        for row in rows.order_by("pk")[:SWEEP_BATCH]:
            if not dispatch(task, *work.args(row), expires=SWEEP_MESSAGE_EXPIRES):
                return published
            published += 1
    if published:
        logger.warning("dispatch_sweep: published %s piece(s) of work left pending", published)
    return published
