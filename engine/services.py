"""Writes of the coverage engine: runs, chunks, and the one-account recompute after a logged touch."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from accounts.models import Account
from core.bulk import analyze_if_stale
from core.timeutil import business_today, business_zone
from dashboards.night_figures import night_figures_of, night_figures_record, night_figures_write
from dashboards.selectors import coverage_figures
from dashboards.services import snapshot_write
from profiles.services import analysis_refresh_queue

from . import domain, tallies
from .models import AccountEvaluation, PendingAccount, RecomputeChunk, RecomputeFailure, RecomputeRun
from .pipeline import ChunkStats, EngineConfig, recompute_isolating_failures
from .statements import AccountSelection, take_pending_accounts

logger = logging.getLogger(__name__)

# Accounts per chunk: small enough that two or more workers finish a night's chunks at nearly the same time (a
# worker left with the last chunk alone is time lost), large enough that a chunk's fixed few queries do not count.
DEFAULT_CHUNK_SIZE = 2500
# What a night reads and writes in bulk: the planner needs their statistics.
NIGHTLY_TABLES = ("accounts_account", "accounts_opportunity", "accounts_lead", "contacts_touch", "engine_alert",
                  "engine_coveragerow", "engine_accountevaluation", "engine_pendingaccount")


class RecomputeRefused(ValidationError):
    """The requested as-of date is earlier than the latest completed recompute."""


class RunInProgress(ValidationError):
    """Another run holds the database (engine_one_running_run): a second start is refused, naming it."""

    def __init__(self, holder: RecomputeRun | None):
        self.holder = holder
        if holder is None:
            super().__init__("Another recompute run is running.")
        else:
            super().__init__(
                f"Recompute run #{holder.id} (as of {holder.as_of}, started {holder.started_at:%Y-%m-%d %H:%M} UTC, "
                f"{holder.chunks_done} of {holder.chunks_total} chunks done) is running: one run at a time.")


def abandon_stale_runs(*, now: dt.datetime | None = None) -> int:
    """A run still "running" RECOMPUTE_RUN_STALE_HOURS after it started was left by a process that died (a run
    with workers finishes within a night): it ends as failed so the next night can start."""
    cutoff = (now or timezone.now()) - dt.timedelta(hours=settings.RECOMPUTE_RUN_STALE_HOURS)
    return RecomputeRun.objects.filter(status=RecomputeRun.Status.RUNNING, started_at__lt=cutoff).update(
        status=RecomputeRun.Status.FAILED, finished_at=timezone.now(),
        error=f"abandoned: still running {settings.RECOMPUTE_RUN_STALE_HOURS} h after it started")


def _create_run(**fields) -> RecomputeRun:
    """The run row, or RunInProgress when another holds the database (the unique running-run constraint decides,
    so two starts at the same moment cannot both pass)."""
    try:
        with transaction.atomic():
            return RecomputeRun.objects.create(**fields)
    except IntegrityError:
        raise RunInProgress(RecomputeRun.objects.filter(status=RecomputeRun.Status.RUNNING).first()) from None


def latest_completed_as_of() -> dt.date | None:
    return RecomputeRun.objects.filter(status=RecomputeRun.Status.COMPLETED).aggregate(d=Max("as_of"))["d"]


def _check_as_of(as_of: dt.date) -> None:
    latest = latest_completed_as_of()
    if latest is not None and as_of < latest:
        raise RecomputeRefused(
            f"Refused: as-of {as_of.isoformat()} is earlier than the latest completed recompute ({latest.isoformat()})."
        )


def config_fingerprint(config: EngineConfig) -> str:
    """What an evaluation reads besides the accounts' own data: the rules' version, thresholds, standards, active ICP
    profiles and the business time zone. A run may be incremental only when this is what the latest completed run saw."""
    parts = (domain.RULES_VERSION, config.thresholds, sorted(config.requirements.items()), config.profiles,
             str(business_zone()))
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _run_mode(fingerprint: str, *, full: bool) -> str:
    """Incremental where every data change is recorded (PostgreSQL's triggers, migration engine/0005) and the
    configuration is the latest completed run's; full otherwise, or when asked."""
    if full or connection.vendor != "postgresql":
        return RecomputeRun.Mode.FULL
    latest = RecomputeRun.objects.filter(status=RecomputeRun.Status.COMPLETED).order_by("-as_of", "-id").first()
    if latest is None or latest.config_fingerprint != fingerprint:
        return RecomputeRun.Mode.FULL
    return RecomputeRun.Mode.INCREMENTAL


def _due_account_ids(as_of: dt.date) -> list[int]:
    """Accounts an incremental run evaluates: changed since their latest evaluation, or due by `as_of` (their next
    date of change has come; one scan of the evaluations, which hold no index on due_on: see the model)."""
    due = AccountEvaluation.objects.filter(due_on__lte=as_of).values_list("account_id", flat=True)
    return sorted(set(due).union(PendingAccount.objects.values_list("account_id", flat=True)))


def _chunk_plan(*, mode: str, as_of: dt.date, chunk_size: int) -> list[tuple[int, int, list[int]]]:
    """(first id, last id, planned ids) per chunk. Full: every id, `chunk_size` ids per range, none listed.
    Incremental: the accounts due or changed as the run starts, `chunk_size` to a chunk, listed (so a chunk does
    not look for them again) and bounded by the range their chunk takes later change marks from."""
    if mode == RecomputeRun.Mode.INCREMENTAL:
        ids = _due_account_ids(as_of)
        return [(group[0], group[-1], group) for group in (ids[i:i + chunk_size] for i in range(0, len(ids), chunk_size))]
    bounds = Account.objects.aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        return []
    return [(first, min(first + chunk_size - 1, bounds["hi"]), [])
            for first in range(bounds["lo"], bounds["hi"] + 1, chunk_size)]


def recompute_run_start(*, as_of: dt.date, chunk_size: int = DEFAULT_CHUNK_SIZE, full: bool = False) -> RecomputeRun:
    """Create a run and its chunks (ranges of account ids); `full` evaluates every account whatever changed."""
    if chunk_size < 1:
        raise ValidationError("chunk_size must be at least 1.")
    _check_as_of(as_of)
    abandon_stale_runs()
    if holder := RecomputeRun.objects.filter(status=RecomputeRun.Status.RUNNING).first():
        raise RunInProgress(holder)  # before planning; the constraint below settles a start at the same moment
    # The night after a first run (or a first load) would otherwise be planned on tables taken for empty.
    analyze_if_stale(*NIGHTLY_TABLES)
    fingerprint = config_fingerprint(EngineConfig.load())
    mode = _run_mode(fingerprint, full=full)
    plan = _chunk_plan(mode=mode, as_of=as_of, chunk_size=chunk_size)
    with transaction.atomic():
        run = _create_run(as_of=as_of, chunk_size=chunk_size, mode=mode, config_fingerprint=fingerprint,
                          chunks_total=len(plan))
        RecomputeChunk.objects.bulk_create([
            RecomputeChunk(run=run, index=index, first_account_id=first, last_account_id=last,
                           planned_account_ids=planned)
            for index, (first, last, planned) in enumerate(plan)
        ])
    return run


def _chunk_selection(chunk: RecomputeChunk) -> AccountSelection:
    """The accounts a chunk evaluates: its whole range in a full run; in an incremental run those planned as the run
    started (due or changed) and those of its range with a change mark now (taken first, before anything is read).

    An account whose due date a logged touch moved after the run started has a change mark too (the touch left
    it), so planning at the start misses nothing a chunk's own look would find."""
    selection = AccountSelection(first_id=chunk.first_account_id, last_id=chunk.last_account_id)
    changed = take_pending_accounts(selection)
    if chunk.run.mode != RecomputeRun.Mode.INCREMENTAL:
        return selection
    return AccountSelection(ids=tuple(sorted(set(changed).union(chunk.planned_account_ids))))


def lock_chunk(chunk_id: int, *, nowait: bool = False) -> RecomputeChunk:
    """The chunk, locked for this transaction: two deliveries of the same chunk run one after the other (the
    second skips). Only the chunk's row is locked — ``of=("self",)`` — not the run's row that select_related
    joins, or every chunk of a run would wait for the one before it and a second worker would add nothing."""
    return RecomputeChunk.objects.select_for_update(of=("self",), nowait=nowait).select_related("run").get(id=chunk_id)


def recompute_chunk(*, chunk_id: int) -> bool:
    """Run one chunk in one transaction; a chunk already done is skipped (redelivery is harmless).

    An account whose evaluation raises is left as it was and recorded on the run (RecomputeFailure); the rest of
    the chunk is done (engine.pipeline.recompute_isolating_failures). A chunk that fails whole — the connection
    lost, too many failed accounts — fails its run, visibly, and a rerun for the same date takes it up again.
    Returns True when this call did the work.
    """
    try:
        with transaction.atomic():
            chunk = lock_chunk(chunk_id)
            if chunk.done:
                return False
            # The chunk's change marks are taken (first thing, inside this transaction) by _chunk_selection.
            stats = recompute_isolating_failures(selection=_chunk_selection(chunk), as_of=chunk.run.as_of)
            if stats.failed:
                _record_failures(run_id=chunk.run_id, failed=stats.failed)
            chunk.done = True
            chunk.finished_at = timezone.now()
            chunk.stats = stats.as_json()
            chunk.save(update_fields=["done", "finished_at", "stats"])
    except Exception as exc:
        _fail_run_of_chunk(chunk_id, exc)
        raise
    return True


def _record_failures(*, run_id: int | None, failed: dict[int, str]) -> None:
    """Name the accounts that failed on the run (when there is one) and mark them changed, so the next night,
    incremental or not, evaluates them again. Two or three statements, only when some failed."""
    external_ids = dict(Account.objects.filter(id__in=list(failed)).values_list("id", "external_id"))
    for account_id, error in sorted(failed.items()):
        logger.warning("recompute: account %s (%s) left as it was: %s", account_id, external_ids.get(account_id, "?"),
                       error)
    if run_id is not None:
        RecomputeFailure.objects.bulk_create([
            RecomputeFailure(run_id=run_id, account_id=account_id, external_id=external_ids.get(account_id, ""),
                             error=error)
            for account_id, error in sorted(failed.items())
        ])
    PendingAccount.objects.bulk_create([PendingAccount(account_id=account_id) for account_id in sorted(failed)],
                                       ignore_conflicts=True)


def _usable_connection() -> None:
    """After a lost connection, outside any transaction: drop it, so the next statement opens a new one."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()


def _fail_run_of_chunk(chunk_id: int, exc: Exception) -> None:
    """The run of a chunk that failed whole ends as failed with the error (its other chunks' work stays: a rerun for
    the same date finds it done or does it again, to the same result)."""
    try:
        _usable_connection()
        run_id = RecomputeChunk.objects.filter(id=chunk_id).values_list("run_id", flat=True).first()
        if run_id is not None:
            recompute_run_fail(run_id=run_id, error=f"chunk {chunk_id}: {exc!r}")
    except Exception:  # the chunk's own error is the one to raise
        logger.exception("recompute: could not mark the run of chunk %s failed", chunk_id)


def recompute_run_finish(*, run_id: int) -> RecomputeRun:
    """The explicit last step: every chunk must be done; then totals and the daily snapshot."""
    with transaction.atomic():
        run = RecomputeRun.objects.select_for_update().get(id=run_id)
        if run.status == RecomputeRun.Status.COMPLETED:
            return run
        chunks = list(run.chunks.only("index", "done", "stats"))  # not the planned ids
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
        # Every account's state, whether this run evaluated it or not (an incremental run leaves most as they are):
        # from the day's figures, which the snapshot keeps.
        tallies.fold_changes()
        figures = coverage_figures(as_of=run.as_of)
        totals.by_state = {state: row["accounts"] for state, row in figures["by_state"].items() if row["accounts"]}
        run.accounts = sum(totals.by_state.values())
        run.accounts_evaluated = totals.accounts
        run.transitions = totals.transitions
        run.handoffs_created = totals.handoffs_created
        run.failed_accounts = RecomputeFailure.objects.filter(run=run).count()
        run.alerts_opened = totals.alerts_opened
        run.alerts_resolved = totals.alerts_resolved
        run.counts_by_state = totals.by_state
        run.chunks_done = len(chunks)
        run.status = RecomputeRun.Status.COMPLETED
        run.finished_at = timezone.now()
        run.save()
        snapshot_write(as_of=run.as_of, figures=figures)  # the day's figures: trends and §9's JSON
        # The dashboards' other figures read every account and its history: their own job, once this commits
        # (dashboards.night_figures), so the run is not held while they are counted.
        night_figures_record(run=run)  # the caller starts it: engine.tasks publishes it, recompute_all runs it
        # States and touches moved: the ICP analysis snapshots (breadth above all) are recomputed in their own
        # job once this commits; a refresh already pending is reused.
        analysis_refresh_queue(actor=None, reason="nightly")
    return run


def recompute_run_fail(*, run_id: int, error: str) -> None:
    RecomputeRun.objects.filter(id=run_id).exclude(status=RecomputeRun.Status.COMPLETED).update(
        status=RecomputeRun.Status.FAILED, error=error[:5000], finished_at=timezone.now()
    )


def recompute_all(*, as_of: dt.date, chunk_size: int = DEFAULT_CHUNK_SIZE, full: bool = False) -> RecomputeRun:
    """The whole pipeline in this process: start, every chunk, finish, then the night's dashboard figures (here too,
    so nights run in order — a backfill, the demo — each keep theirs before the next starts)."""
    run = recompute_run_start(as_of=as_of, chunk_size=chunk_size, full=full)
    try:
        for chunk_id in run.chunks.order_by("index").values_list("id", flat=True):
            recompute_chunk(chunk_id=chunk_id)
        run = recompute_run_finish(run_id=run.id)
    except Exception as exc:
        _usable_connection()
        recompute_run_fail(run_id=run.id, error=repr(exc))
        raise
    night_figures_write(figures_id=night_figures_of(run_id=run.id))
    return run


def recompute_accounts(*, account_ids: Sequence[int], as_of: dt.date | None = None) -> bool:
    """Re-evaluate a few accounts at once (a touch was logged), by the same rules as the nightly run.

    Does nothing when the date is earlier than the latest completed recompute (docs/rules.md §5).
    Returns True when the accounts were re-evaluated.
    """
    as_of = as_of or business_today()
    latest = latest_completed_as_of()
    if latest is not None and as_of < latest:
        logger.info("recompute_accounts skipped: %s is before the latest recompute %s", as_of, latest)
        return False
    with transaction.atomic():
        # The accounts' change marks stay for the next run: its date may be earlier than this evaluation's (a
        # recompute --as-of between the latest run and today), and it must then evaluate them as of its own date.
        # A run for this same date evaluates them again and finds nothing to change.
        stats = recompute_isolating_failures(selection=AccountSelection(ids=tuple(sorted(set(account_ids)))),
                                             as_of=as_of, after_night=True)
        if stats.failed:  # what was logged stays logged; the next night tries the evaluation again
            _record_failures(run_id=None, failed=stats.failed)
    return True
