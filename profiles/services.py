"""Writes of ICP profiles: every save is a new version (docs/rules.md §6, docs/api.md §3)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import F, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from core.bulk import bulk_update_values
from core.dispatch import dispatch_on_commit
from core.models import AuditEntry, User
from core.timeutil import business_today
from core.versioning import check_version
from dashboards.selectors import latest_run_as_of

# tasks imports this module too: read as tasks.<name> when called, the cycle resolves in either import order.
from . import tasks
from .analysis import snapshots as snap
from .fit_sql import best_fit_rows_sql, inexact_condition
from .models import AnalysisRefresh, BackgroundRun, IcpProfile, IcpProfileVersion, ProfileAnalysis, RescoreRun
from .scoring import (
    account_attributes, attribute_fields_read_by, best_fit, load_active_profile_specs, matched_unchanged, version_spec,
)
from .validation import ProfileInput, profile_input

logger = logging.getLogger(__name__)


def profile_save(
    *, name: str, criteria: Sequence[Mapping], description: str = "", active: bool = True,
    tiers: Mapping[str, int] | None = None, actor: User | None = None, comment: str = "", rescore: bool = True,
    reason: str = "save", expected_version: int | None = None,
) -> IcpProfileVersion:
    """Create a profile, or add a new version to the one with this name, and (unless ``rescore`` is False) queue
    the rescoring of every account for when the transaction commits. Checked by validation.profile_input.

    ``expected_version``: the version number the editor started from; a profile saved by someone else since is
    refused (core.versioning.StaleVersion), nothing written (docs/api.md §5, "Versions and conflicts")."""
    criteria = list(criteria) if isinstance(criteria, (list, tuple)) else criteria
    clean = profile_input({"name": name, "description": description, "active": active, "tiers": tiers,
                           "criteria": criteria}, comment=comment)
    return _version_save(clean, actor=actor, rescore=rescore, reason=reason, expected_version=expected_version)


def profile_save_json(
    *, data: Any, actor: User | None = None, name: str | None = None, comment: str = "", reason: str = "save",
    expected_version: int | None = None,
) -> IcpProfileVersion:
    """profile_save of the JSON of docs/api.md §3 (the API, the import page, import_icp): ``tiers`` and ``active``
    may be left out; ``name`` (the API's PUT) replaces the JSON's. Every field is checked, wrong types included."""
    if name is not None and isinstance(data, Mapping):
        data = {**data, "name": name}
    return _version_save(profile_input(data, comment=comment), actor=actor, rescore=True, reason=reason,
                         expected_version=expected_version)


def _version_save(
    clean: ProfileInput, *, actor: User | None, rescore: bool, reason: str, expected_version: int | None = None,
) -> IcpProfileVersion:
    with transaction.atomic():
        profile, created = IcpProfile.objects.select_for_update().get_or_create(
            name=clean.name, defaults={"description": clean.description, "active": clean.active}
        )
        if not created:
            profile.description, profile.active = clean.description, clean.active
            # Compare-and-set under the row lock: the version the editor started from must still be current.
            current = (IcpProfileVersion.objects.filter(pk=profile.current_version_id)
                       .values_list("number", flat=True).first() or 0)
            check_version(current=current, expected=expected_version,
                          label=_("The ICP profile %(name)s") % {"name": profile.name},
                          object_type="icp_profile", object_id=str(profile.id))
        number = (profile.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        version = IcpProfileVersion.objects.create(
            profile=profile, number=number, description=clean.description, tiers=clean.tiers,
            criteria=clean.criteria, created_by=actor, comment=clean.comment,
        )
        profile.current_version = version
        profile.save()
        AuditEntry.objects.create(actor=actor, action="profile.save", object_type="icp_profile", object_id=str(profile.id),
                                  after={"version": number, "criteria": clean.criteria, "tiers": clean.tiers})
        if rescore:
            rescore_queue(profile=profile, actor=actor, reason=reason)
    return version


def profile_draft_save(
    *, name: str, criteria: Sequence[Mapping], description: str, comment: str, actor: User | None,
) -> IcpProfileVersion:
    """An inactive profile drafted from the best-customer analysis, and a refresh of the snapshots that computes its
    review, queued for when the transaction commits (an inactive profile changes no account: no rescoring)."""
    with transaction.atomic():
        version = profile_save(name=name, criteria=criteria, description=description, active=False, actor=actor,
                               comment=comment, rescore=False)
        analysis_refresh_queue(actor=actor, reason="draft")
    return version


def profile_set_active(
    *, profile: IcpProfile, active: bool, actor: User | None = None, rescore: bool = True,
) -> IcpProfile:
    with transaction.atomic():
        before = IcpProfile.objects.filter(id=profile.id).values_list("active", flat=True).first()
        IcpProfile.objects.filter(id=profile.id).update(active=active)
        profile.active = active
        AuditEntry.objects.create(actor=actor, action="profile.activate" if active else "profile.deactivate",
                                  object_type="icp_profile", object_id=str(profile.id),
                                  before={"active": before}, after={"active": active})
        if rescore:
            rescore_queue(profile=profile, actor=actor, reason="activate" if active else "deactivate")
    return profile


def rescore_queue(*, profile: IcpProfile | None, actor: User | None, reason: str) -> RescoreRun:
    """Record a rescoring job and start it when the surrounding transaction commits (never in the request
    when a broker is configured; in-process when Celery runs eagerly)."""
    run = RescoreRun.objects.create(profile=profile, created_by=actor, reason=reason)
    dispatch_on_commit(tasks.rescore_accounts_task, run.id)  # a broker down leaves it pending: core.dispatch
    return run


def rescore_run_execute(*, run_id: int, chunk_size: int | None = None) -> str:
    """Run one recorded rescoring job: compare-and-set pending → running, progress after every chunk.

    A run still pending when a later run is queued is superseded: the later one reads the same profiles
    and rescores every account anyway, so a backlog of saves costs one pass, not one per save.
    """
    if RescoreRun.objects.filter(id__gt=run_id, status=RescoreRun.Status.PENDING).exists():
        RescoreRun.objects.filter(id=run_id, status=RescoreRun.Status.PENDING).update(
            status=RescoreRun.Status.SUPERSEDED, finished_at=timezone.now())
        return RescoreRun.Status.SUPERSEDED
    if not _run_claim(RescoreRun, run_id, rows_total=Account.objects.count()):
        return _run_status(RescoreRun, run_id)  # redelivered

    def progress(done: int) -> None:
        RescoreRun.objects.filter(id=run_id).update(rows_done=done)

    try:
        done = rescore_accounts(chunk_size=chunk_size or RESCORE_CHUNK_IDS, progress=progress)
    except Exception as exc:  # recorded for the page; the task itself must not crash the request in eager mode
        return _run_failed(RescoreRun, run_id, exc)
    _run_finished(RescoreRun, run_id, rows_done=done, rows_total=done)
    # Fits and tiers moved: the analysis snapshots (review, breadth, accounts per tier) follow in their own job.
    analysis_refresh_queue(actor=None, reason="rescore")
    return RescoreRun.Status.SUCCEEDED


RESCORE_CHUNK_IDS = 25_000


def rescore_accounts(*, chunk_size: int = RESCORE_CHUNK_IDS, progress: Callable[[int], None] | None = None) -> int:
    """Recompute every account's fit, profile, tier and matched criteria, set-based: per range of
    ``chunk_size`` ids one UPDATE that computes the best fit in SQL and writes only the rows that change.

    The SQL is ``scoring.best_fit`` compiled (fit_sql.best_fit_rows_sql). The few accounts whose text
    or list values SQL might read differently from Python (fit_sql.inexact_condition: characters
    beyond ASCII and the caseless Japanese scripts, numbers written as text) are scored by best_fit itself, so
    the stored results are always best_fit's and the nightly pipeline finds nothing to change.
    Returns the number of accounts; ``progress`` gets the number done after every range.
    """
    specs = load_active_profile_specs()
    inexact = inexact_condition(specs)
    qn = connection.ops.quote_name
    table, pk = qn(Account._meta.db_table), qn(Account._meta.pk.column)
    fit, profile, tier, matched = (qn(Account._meta.get_field(f).column)
                                   for f in ("icp_fit", "icp_profile", "icp_tier", "icp_matched"))
    if connection.vendor == "postgresql":
        new_matched, differs, old_matched = "v.matched::jsonb", "IS DISTINCT FROM", f"t.{matched}"
    else:
        new_matched, differs, old_matched = "v.matched", "IS NOT", f"json(t.{matched})"
    with connection.cursor() as cursor:
        # The accounts per range of ids, in one index scan: sparse ids cost no empty statements.
        cursor.execute(f"SELECT MIN({pk}) FROM {table}")
        first = cursor.fetchone()[0]
        if first is None:
            return 0
        cursor.execute(f"SELECT ({pk} - %s) / %s AS b, COUNT(*) FROM {table} GROUP BY b ORDER BY b",
                       [first, chunk_size])
        ranges = cursor.fetchall()
    done = 0
    for bucket, count in ranges:
        low = first + int(bucket) * chunk_size
        high = low + chunk_size - 1
        rows_sql, params = best_fit_rows_sql(specs, low=low, high=high, exclude=inexact)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS t SET {fit} = v.fit, {profile} = v.profile_id, {tier} = v.tier, "
                f"{matched} = {new_matched} FROM ({rows_sql}) AS v WHERE t.{pk} = v.id AND ("
                f"t.{fit} {differs} v.fit OR t.{profile} {differs} v.profile_id OR t.{tier} {differs} v.tier "
                f"OR {old_matched} {differs} {new_matched})", params)
        if inexact is not None:
            _rescore_in_python(Account.objects.filter(inexact, id__gte=low, id__lte=high), specs)
        done += int(count)
        if progress:
            progress(done)
    return done


def _rescore_in_python(accounts, specs) -> int:
    """best_fit per account of ``accounts`` and one bulk update of the rows that change."""
    fields = ("id", "icp_fit", "icp_profile_id", "icp_tier", *attribute_fields_read_by(specs))
    changed = []
    for row in accounts.annotate(icp_matched_text=Cast("icp_matched", TextField())).values(*fields, "icp_matched_text"):
        fit = best_fit(account_attributes(row), specs)
        if (row["icp_fit"], row["icp_profile_id"], row["icp_tier"]) != (fit.fit, fit.profile_id, fit.tier) or (
                not matched_unchanged(row["icp_matched_text"], fit.matched)):
            changed.append(Account(id=row["id"], icp_fit=fit.fit, icp_profile_id=fit.profile_id, icp_tier=fit.tier,
                                   icp_matched=list(fit.matched)))
    return bulk_update_values(Account, changed, ["icp_fit", "icp_profile", "icp_tier", "icp_matched"])


# --- precomputed analyses ---------------------------------------------------------------------------------


def analysis_refresh_queue(
    *, actor: User | None, reason: str, version: IcpProfileVersion | None = None, reuse_running: bool = False,
) -> AnalysisRefresh:
    """Record a refresh of the analysis snapshots and start it when the surrounding transaction commits.

    A refresh still pending is reused: it has not read anything yet, so it will see the latest data. With
    ``reuse_running`` (the button) one already running is reused too, so repeated clicks cost one pass.
    """
    run, created = analysis_refresh_record(actor=actor, reason=reason, version=version, reuse_running=reuse_running)
    if created:
        dispatch_on_commit(tasks.analysis_refresh_task, run.id)
    return run


def analysis_refresh_record(
    *, actor: User | None, reason: str, version: IcpProfileVersion | None = None, reuse_running: bool = False,
) -> tuple[AnalysisRefresh, bool]:
    """The refresh to wait for: a pending one (or running, with ``reuse_running``), else a new pending one."""
    statuses = [AnalysisRefresh.Status.PENDING] + ([AnalysisRefresh.Status.RUNNING] if reuse_running else [])
    existing = AnalysisRefresh.objects.filter(status__in=statuses, version=version).order_by("-id").first()
    if existing is not None:
        return existing, False
    return AnalysisRefresh.objects.create(reason=reason, version=version, created_by=actor), True


def _analysis_save(*, kind: str, version: IcpProfileVersion | None, as_of, data: dict,
                   seconds: float) -> ProfileAnalysis:
    return ProfileAnalysis.objects.update_or_create(
        kind=kind, version=version,
        defaults={"as_of": as_of, "computed_at": timezone.now(), "seconds": round(seconds, 3), "data": data})[0]


def analysis_refresh_steps(*, version: IcpProfileVersion | None = None) -> list[tuple[str, IcpProfileVersion | None]]:
    """What one refresh computes: the review of every profile's current version (and of ``version``), then the
    best-customer counts, the breadth of A/B targets and the accounts per profile and tier."""
    versions = [v for v in IcpProfileVersion.objects.filter(profile__current_version=F("pk"))
                .select_related("profile").order_by("profile_id")]
    if version is not None and version.id not in {v.id for v in versions}:
        versions.append(version)
    return ([(ProfileAnalysis.Kind.REVIEW, v) for v in versions]
            + [(ProfileAnalysis.Kind.LEARN, None), (ProfileAnalysis.Kind.BREADTH, None), (ProfileAnalysis.Kind.TIERS, None)])


def analysis_compute(*, kind: str, version: IcpProfileVersion | None = None, as_of=None) -> ProfileAnalysis:
    """Compute one snapshot set-based (the expensive scans happen here, in the job) and store it."""
    as_of = as_of or latest_run_as_of() or business_today()
    started = time.perf_counter()
    if kind == ProfileAnalysis.Kind.REVIEW:
        data = snap.review_data(version_spec(version.profile, version))
    elif kind == ProfileAnalysis.Kind.LEARN:
        data = snap.learning_data()
    elif kind == ProfileAnalysis.Kind.BREADTH:
        data = snap.breadth_data(as_of=as_of)
    elif kind == ProfileAnalysis.Kind.TIERS:
        data = snap.tier_counts_data()
    else:
        raise ValueError(f"unknown analysis kind {kind!r}")
    return _analysis_save(kind=kind, version=version, as_of=as_of, data=data, seconds=time.perf_counter() - started)


def analysis_refresh_all(*, version: IcpProfileVersion | None = None,
                         progress: Callable[[int, int], None] | None = None) -> int:
    """Every snapshot of one refresh, each stored as soon as it is computed; returns how many."""
    steps = analysis_refresh_steps(version=version)
    as_of = latest_run_as_of() or business_today()
    for done, (kind, step_version) in enumerate(steps, start=1):
        analysis_compute(kind=kind, version=step_version, as_of=as_of)
        if progress:
            progress(done, len(steps))
    return len(steps)


def analysis_refresh_execute(*, run_id: int) -> str:
    """Run one recorded refresh: compare-and-set pending → running, progress after every snapshot."""
    if not _run_claim(AnalysisRefresh, run_id):
        return _run_status(AnalysisRefresh, run_id)  # redelivered
    version = AnalysisRefresh.objects.filter(id=run_id).values_list("version", flat=True).first()

    def progress(done: int, total: int) -> None:
        AnalysisRefresh.objects.filter(id=run_id).update(steps_done=done, steps_total=total)

    try:
        analysis_refresh_all(version=IcpProfileVersion.objects.select_related("profile").filter(id=version).first()
                             if version else None, progress=progress)
    except Exception as exc:  # recorded for the page; in eager mode the caller (a rescoring job) must not crash
        return _run_failed(AnalysisRefresh, run_id, exc)
    return _run_finished(AnalysisRefresh, run_id)


# --- background runs (RescoreRun, AnalysisRefresh): one way to claim, fail and finish ---------------------------


def _run_claim(model: type[BackgroundRun], run_id: int, **fields) -> bool:
    """Compare-and-set pending → running: True for the one delivery that got the run."""
    return bool(model.objects.filter(id=run_id, status="pending").update(
        status="running", started_at=timezone.now(), **fields))


def _run_status(model: type[BackgroundRun], run_id: int) -> str:
    return model.objects.filter(id=run_id).values_list("status", flat=True).first() or ""


def _run_failed(model: type[BackgroundRun], run_id: int, exc: Exception) -> str:
    logger.exception("%s %s failed", model._meta.verbose_name, run_id)
    model.objects.filter(id=run_id).update(status="failed", finished_at=timezone.now(), message=str(exc)[:1000])
    return "failed"


def _run_finished(model: type[BackgroundRun], run_id: int, **fields) -> str:
    model.objects.filter(id=run_id).update(status="succeeded", finished_at=timezone.now(), **fields)
    return "succeeded"
