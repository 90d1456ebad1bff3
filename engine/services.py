"""Writes of the coverage engine: runs, chunks, and the one-account recompute after a logged touch."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from accounts.models import Account
from core.timeutil import business_today

from .models import RecomputeChunk, RecomputeRun
from .pipeline import AccountSelection, ChunkStats, recompute_selection

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 5000


class RecomputeRefused(ValidationError):
    """The requested as-of date is earlier than the latest completed recompute."""


def latest_completed_as_of() -> dt.date | None:
    return RecomputeRun.objects.filter(status=RecomputeRun.Status.COMPLETED).aggregate(d=Max("as_of"))["d"]


def _check_as_of(as_of: dt.date) -> None:
    latest = latest_completed_as_of()
    if latest is not None and as_of < latest:
        raise RecomputeRefused(
            f"Refused: as-of {as_of.isoformat()} is earlier than the latest completed recompute ({latest.isoformat()})."
        )


def recompute_run_start(*, as_of: dt.date, chunk_size: int = DEFAULT_CHUNK_SIZE) -> RecomputeRun:
    """Create a run and its chunks: ranges of account ids of at most `chunk_size` ids each."""
    if chunk_size < 1:
        raise ValidationError("chunk_size must be at least 1.")
    _check_as_of(as_of)
    bounds = Account.objects.aggregate(lo=Min("id"), hi=Max("id"))
    with transaction.atomic():
        run = RecomputeRun.objects.create(as_of=as_of, chunk_size=chunk_size)
        chunks = []
        if bounds["lo"] is not None:
            first = bounds["lo"]
            index = 0
            while first <= bounds["hi"]:
                last = min(first + chunk_size - 1, bounds["hi"])
                chunks.append(RecomputeChunk(run=run, index=index, first_account_id=first, last_account_id=last))
                first, index = last + 1, index + 1
        RecomputeChunk.objects.bulk_create(chunks)
        run.chunks_total = len(chunks)
        run.save(update_fields=["chunks_total"])
    return run


def lock_chunk(chunk_id: int, *, nowait: bool = False) -> RecomputeChunk:
    """The chunk, locked for this transaction: two deliveries of the same chunk run one after the other (the
    second skips). Only the chunk's row is locked — ``of=("self",)`` — not the run's row that select_related
    joins, or every chunk of a run would wait for the one before it and a second worker would add nothing."""
    return RecomputeChunk.objects.select_for_update(of=("self",), nowait=nowait).select_related("run").get(id=chunk_id)


def recompute_chunk(*, chunk_id: int) -> bool:
    """Run one chunk in one transaction; a chunk already done is skipped (redelivery is harmless).

    Returns True when this call did the work.
    """
    with transaction.atomic():
        chunk = lock_chunk(chunk_id)
        if chunk.done:
            return False
        stats = recompute_selection(
            selection=AccountSelection(first_id=chunk.first_account_id, last_id=chunk.last_account_id),
            as_of=chunk.run.as_of,
        )
        chunk.done = True
        chunk.finished_at = timezone.now()
        chunk.stats = stats.as_json()
        chunk.save(update_fields=["done", "finished_at", "stats"])
    return True


def recompute_run_finish(*, run_id: int) -> RecomputeRun:
    """The explicit last step: every chunk must be done; then totals and the daily snapshot."""
    from dashboards.services import snapshot_write

    with transaction.atomic():
        run = RecomputeRun.objects.select_for_update().get(id=run_id)
        if run.status == RecomputeRun.Status.COMPLETED:
            return run
        chunks = list(run.chunks.all())
        pending = [c.index for c in chunks if not c.done]
        if pending:
            raise ValidationError(f"{len(pending)} chunk(s) of run {run.id} are not done yet.")
        totals = ChunkStats()
        for c in chunks:
            s = c.stats or {}
            totals.accounts += s.get("accounts", 0)
            totals.transitions += s.get("transitions", 0)
            totals.handoffs_created += s.get("handoffs_created", 0)
            totals.alerts_opened += s.get("alerts_opened", 0)
            totals.alerts_resolved += s.get("alerts_resolved", 0)
            for state, n in s.get("by_state", {}).items():
                totals.by_state[state] = totals.by_state.get(state, 0) + n
        run.accounts = totals.accounts
        run.transitions = totals.transitions
        run.handoffs_created = totals.handoffs_created
        run.alerts_opened = totals.alerts_opened
        run.alerts_resolved = totals.alerts_resolved
        run.counts_by_state = totals.by_state
        run.chunks_done = len(chunks)
        run.status = RecomputeRun.Status.COMPLETED
        run.finished_at = timezone.now()
        run.save()
        snapshot_write(as_of=run.as_of)
        # States and touches moved: the ICP analysis snapshots (breadth above all) are recomputed in their own
        # job once this commits; a refresh already pending is reused.
        from profiles.services import analysis_refresh_queue

        analysis_refresh_queue(actor=None, reason="nightly")
    return run


def recompute_run_fail(*, run_id: int, error: str) -> None:
    RecomputeRun.objects.filter(id=run_id).exclude(status=RecomputeRun.Status.COMPLETED).update(
        status=RecomputeRun.Status.FAILED, error=error[:5000], finished_at=timezone.now()
    )


def recompute_all(*, as_of: dt.date, chunk_size: int = DEFAULT_CHUNK_SIZE) -> RecomputeRun:
    """The whole pipeline in this process: start, every chunk, finish."""
    run = recompute_run_start(as_of=as_of, chunk_size=chunk_size)
    try:
        for chunk_id in run.chunks.order_by("index").values_list("id", flat=True):
            recompute_chunk(chunk_id=chunk_id)
        return recompute_run_finish(run_id=run.id)
    except Exception as exc:
        recompute_run_fail(run_id=run.id, error=repr(exc))
        raise


def recompute_accounts(*, account_ids: Sequence[int], as_of: dt.date | None = None) -> bool:
    """Re-evaluate a few accounts at once (a touch was logged), by the same rules as the nightly run.

    Does nothing when the date is earlier than the latest completed recompute (coverage-rules §5).
    Returns True when the accounts were re-evaluated.
    """
    as_of = as_of or business_today()
    latest = latest_completed_as_of()
    if latest is not None and as_of < latest:
        logger.info("recompute_accounts skipped: %s is before the latest recompute %s", as_of, latest)
        return False
    with transaction.atomic():
        recompute_selection(selection=AccountSelection(ids=tuple(sorted(set(account_ids)))), as_of=as_of)
    return True
