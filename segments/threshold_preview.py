"""The state thresholds' preview as a background job: a manager proposes thresholds and presses Preview; a
ThresholdPreviewJob is recorded and its task (segments.tasks) computes, chunk by chunk and writing nothing, what the
next night would leave with today's thresholds and with the proposal (engine.preview) — the flow of accounts between
states, the under-covered accounts, the open alerts by responsible role and by owner. The page polls the job
(docs/api.md §5, "Threshold preview").

One job at a time per person (a partial unique constraint): pressing again while one is queued or running answers
that one. A job whose worker died stops moving; after STALE_AFTER without progress it is ended as failed, so its
owner can start another.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from core.choices import Role, State
from core.dispatch import dispatch_on_commit
from core.models import AuditEntry, User
from engine import domain
from engine.pipeline import EngineConfig
from engine.preview import CHUNK, NightPreview, SideOutcome, preview_next_night, thresholds_config

from .models import StateThresholds, ThresholdPreviewJob
from .services import THRESHOLD_FIELDS, clean_threshold_changes

logger = logging.getLogger(__name__)

Job = ThresholdPreviewJob
# A queued or running job that has not moved for this long was left by a dead worker (or a lost message).
STALE_AFTER = dt.timedelta(minutes=15)


# --- writes ----------------------------------------------------------------------------------------------------------


def threshold_preview_request(*, actor: User, changes: Mapping[str, object]) -> tuple[Job, bool]:
    """Queue a preview of the thresholds with `changes` (threshold name -> value; the others as saved) for `actor`,
    or answer the one of theirs still queued or running. Returns (job, created). Bad values raise ValidationError
    naming the field (segments.services.clean_threshold_changes)."""
    clean = clean_threshold_changes(changes)
    saved = StateThresholds.load()
    proposal = {field: clean.get(field, getattr(saved, field)) for field in THRESHOLD_FIELDS}
    _end_stale_jobs(user=actor)
    try:  # the partial unique constraint is the one check: one queued or running job per person
        with transaction.atomic():
            job = Job.objects.create(requested_by=actor, proposal=proposal, thresholds_version=saved.version)
            AuditEntry.objects.create(actor=actor, action="thresholds.preview", object_type="threshold_preview",
                                      object_id=str(job.pk), after={"proposal": proposal, "version": saved.version})
            dispatch_on_commit(_task(), job.pk)
    except IntegrityError:  # pressed again while one is queued or running: that one
        running = _active_job(actor)
        if running is None:
            raise
        return running, False
    return job, True


def threshold_preview_run(*, job_id: int, chunk_size: int = CHUNK) -> bool:
    """Compute a queued job (the task's body): claim it queued -> running (compare-and-set, so a message delivered
    twice computes once; a running job left stale by a dead worker is taken over), report progress after each chunk,
    then store the result, or the failure with its reason. Writes nothing but the job. Returns whether it ran."""
    claimed = Job.objects.filter(Q(status=Job.Status.QUEUED) | _stalled(), pk=job_id).update(
        status=Job.Status.RUNNING, progress=0, updated_at=timezone.now())
    if not claimed:
        return False
    job = Job.objects.get(pk=job_id)

    def progress(done: int, total: int) -> None:
        # Below 100 until the result is stored: 100 means done.
        Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(
            progress=min(99, 100 * done // max(total, 1)), updated_at=timezone.now())

    try:
        current = EngineConfig.load()
        proposed = thresholds_config(current, domain.Thresholds(**job.proposal))
        preview = preview_next_night(configs=[current, proposed], chunk_size=chunk_size, on_progress=progress)
        result = preview_result(preview, current=current.thresholds, proposed=proposed.thresholds)
    except Exception as exc:  # any failure ends the job with its reason; nothing was written
        logger.exception("threshold preview #%s failed", job_id)
        _finish(job_id, status=Job.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        return True
    _finish(job_id, status=Job.Status.DONE, result=result, progress=100)
    return True


def _finish(job_id: int, *, status: str, **fields) -> None:
    Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(
        status=status, finished_at=timezone.now(), updated_at=timezone.now(), **fields)


def _stalled() -> Q:
    """A queued or running job that has not moved for STALE_AFTER: its worker or its message was lost."""
    return Q(status__in=Job.ACTIVE, updated_at__lt=timezone.now() - STALE_AFTER)


def _end_stale_jobs(*, user: User) -> None:
    """The person's stalled job ends as failed, so that they can start another."""
    Job.objects.filter(_stalled(), requested_by=user).update(
        status=Job.Status.FAILED, finished_at=timezone.now(), error=STOPPED)


# Stored on a job that stopped moving; shown through gettext by threshold_preview_error.
STOPPED = "stopped"


def _task():
    from .tasks import threshold_preview_task

    return threshold_preview_task


# --- reads -----------------------------------------------------------------------------------------------------------


def _active_job(user: User) -> Job | None:
    return Job.objects.filter(requested_by=user, status__in=Job.ACTIVE).order_by("-created_at", "-id").first()


def _ended_if_stalled(job: Job | None) -> Job | None:
    """A running job read after its worker died (no progress for STALE_AFTER) ends as failed there and then, so the
    page stops polling and says so. A queued one is left to the dispatch sweep, which sends it again."""
    if job is not None and job.status == Job.Status.RUNNING and job.updated_at < timezone.now() - STALE_AFTER:
        Job.objects.filter(_stalled(), pk=job.pk, status=Job.Status.RUNNING).update(
            status=Job.Status.FAILED, finished_at=timezone.now(), error=STOPPED)
        job.refresh_from_db()
    return job


def threshold_preview_latest(*, user: User) -> Job | None:
    """The person's latest preview (the settings page shows it)."""
    return _ended_if_stalled(Job.objects.filter(requested_by=user).order_by("-created_at", "-id").first())


def access_threshold_preview(*, user: User, job_id: int) -> Job:
    """One of the person's own previews; another's and a missing one alike are 404."""
    job = Job.objects.filter(pk=job_id, requested_by=user).first()
    if job is None:
        raise Http404
    return _ended_if_stalled(job)


def threshold_preview_error(job: Job) -> str:
    """Why a failed job failed, in the reader's language."""
    if job.error == STOPPED:
        return _("The preview stopped without finishing (its worker was lost). Nothing was changed: press Preview "
                 "again.")
    return _("The preview could not be computed: %(error)s. Nothing was changed: press Preview again, and tell an "
             "administrator if it fails again.") % {"error": job.error}


# --- the result ------------------------------------------------------------------------------------------------------


def preview_result(preview: NightPreview, *, current: domain.Thresholds, proposed: domain.Thresholds) -> dict:
    """The job's stored result (JSON): the next night's date, the thresholds of each side and which differ, the flow of
    accounts between states (from the current side's state to the proposed side's), and each side's figures."""
    owner_ids = {key[1] for side in preview.sides for key in side.alerts if key[1] is not None}
    usernames = dict(User.objects.filter(id__in=owner_ids).values_list("id", "username"))
    current_values = {f: getattr(current, f) for f in THRESHOLD_FIELDS}
    proposed_values = {f: getattr(proposed, f) for f in THRESHOLD_FIELDS}
    order = {state: i for i, state in enumerate(State.values)}
    return {
        "as_of": preview.as_of.isoformat(),
        "current_thresholds": current_values,
        "proposed_thresholds": proposed_values,
        "changed": [f for f in THRESHOLD_FIELDS if current_values[f] != proposed_values[f]],
        "accounts": sum(preview.flow.values()),
        "failed_accounts": len(preview.failed),
        "flow": [{"from": a, "to": b, "accounts": n}
                 for (a, b), n in sorted(preview.flow.items(), key=lambda item: (order[item[0][0]], order[item[0][1]]))
                 if a != b],
        "unchanged": sum(n for (a, b), n in preview.flow.items() if a == b),
        "current": _side_result(preview.sides[0], usernames),
        "proposed": _side_result(preview.sides[1], usernames),
    }


def _side_result(side: SideOutcome, usernames: Mapping[int, str]) -> dict:
    by_role: Counter = Counter()
    by_owner: Counter = Counter()
    for (role, assignee_id), n in side.alerts.items():
        by_role[role] += n
        if assignee_id is not None:
            by_owner[usernames.get(assignee_id, str(assignee_id))] += n
    return {
        "accounts_by_state": {state: side.states.get(state, 0) for state in State.values},
        "under_covered_accounts": side.under_covered_accounts,
        "alerts": sum(side.alerts.values()),
        "alerts_by_role": dict(sorted(by_role.items())),
        "alerts_by_owner": dict(sorted(by_owner.items())),
        "alerts_unassigned": sum(n for (_role, assignee), n in side.alerts.items() if assignee is None),
        "transitions": side.transitions,
        "handoffs": side.handoffs,
    }


def result_tables(job: Job) -> dict | None:
    """A done job's result as the page shows it: labels for the codes, current against proposed with the
    difference, the owners with the largest change first."""
    result = job.result
    if job.status != Job.Status.DONE or not result:
        return None
    current, proposed = result["current"], result["proposed"]

    def rows(key: str, keys, label) -> list[dict]:
        out = []
        for k in keys:
            now, then = current[key].get(k, 0), proposed[key].get(k, 0)
            out.append({"label": label(k), "current": now, "proposed": then, "difference": then - now})
        return out

    owners = sorted(set(current["alerts_by_owner"]) | set(proposed["alerts_by_owner"]))
    by_owner = sorted(rows("alerts_by_owner", owners, str), key=lambda r: (-abs(r["difference"]), r["label"]))
    roles = sorted(set(current["alerts_by_role"]) | set(proposed["alerts_by_role"]))
    return {
        "as_of": dt.date.fromisoformat(result["as_of"]),
        "changes": [{"label": _field_label(f), "current": result["current_thresholds"][f],
                     "proposed": result["proposed_thresholds"][f]} for f in result["changed"]],
        "flow": [{"from": _state_label(r["from"]), "to": _state_label(r["to"]), "accounts": r["accounts"]}
                 for r in result["flow"]],
        "summary": [
            {"label": label, "current": current[key], "proposed": proposed[key],
             "difference": proposed[key] - current[key]}
            for key, label in (("under_covered_accounts", _("Under-covered accounts")), ("alerts", _("Open alerts")),
                               ("transitions", _("State changes")), ("handoffs", _("Handoffs")))],
        "states": [r for r in rows("accounts_by_state", State.values, _state_label) if r["current"] or r["proposed"]],
        "roles": rows("alerts_by_role", roles, _role_label),
        "owners": by_owner,
        "unassigned": {"current": current["alerts_unassigned"], "proposed": proposed["alerts_unassigned"],
                       "difference": proposed["alerts_unassigned"] - current["alerts_unassigned"]},
        "result": result,
    }


def _state_label(code: str) -> str:
    return str(State(code).label) if code in State.values else code


def _role_label(code: str) -> str:
    return str(Role(code).label) if code in Role.values else code


def _field_label(field: str) -> str:
    return capfirst(str(StateThresholds._meta.get_field(field).verbose_name))


def proposal_changes(job: Job) -> list[dict]:
    """The thresholds the job proposes that differ from the version it was made on, as the page names them (while it
    runs; a done job's result says it against the thresholds it was computed with)."""
    saved = StateThresholds.load()
    return [{"label": _field_label(f), "current": getattr(saved, f), "proposed": job.proposal[f]}
            for f in THRESHOLD_FIELDS if job.proposal.get(f) != getattr(saved, f)]
