"""Reads for the ICP profile pages: the list with tier counts, one profile, its versions, version diffs, and the
precomputed analyses (ProfileAnalysis) the analysis pages read instead of scanning the accounts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.shortcuts import get_object_or_404

from .analysis import snapshots as snap
from .models import AnalysisRefresh, IcpProfile, IcpProfileVersion, ProfileAnalysis, RescoreRun
from .scoring import DEFAULT_TIERS, version_spec

TIERS = ("A", "B", "C")


def profile_to_json(profile: IcpProfile, version: IcpProfileVersion | None = None) -> dict:
    """The profile as the JSON of docs/api.md §3 (its current version, or ``version``)."""
    version = version or profile.current_version
    return {
        "name": profile.name, "description": profile.description, "active": profile.active,
        "tiers": dict(version.tiers) if version else dict(DEFAULT_TIERS),
        "criteria": list(version.criteria) if version else [],
    }


@dataclass(frozen=True)
class ProfileRow:
    profile: IcpProfile
    version: IcpProfileVersion | None
    tier_counts: dict[str, int] | None  # None until the accounts-per-tier snapshot has been computed

    @property
    def criteria_count(self) -> int:
        return len(self.version.criteria) if self.version else 0


def profile_list_rows(*, tiers: ProfileAnalysis | None = None) -> list[ProfileRow]:
    """Every profile with its current version and accounts per tier (from the stored ``tiers`` snapshot, read
    once by the caller with ``tier_counts_stored``): one query whatever the number of profiles or accounts."""
    profiles = list(IcpProfile.objects.select_related("current_version").order_by("name"))
    return [ProfileRow(profile=p, version=p.current_version, tier_counts=profile_tier_counts(tiers, profile_id=p.id))
            for p in profiles]


def profile_get(*, profile_id: int) -> IcpProfile:
    """One profile with its current version (404 when missing: profiles are readable by every role)."""
    return get_object_or_404(IcpProfile.objects.select_related("current_version", "current_version__created_by"),
                             pk=profile_id)


def profile_versions(*, profile: IcpProfile) -> list[IcpProfileVersion]:
    return list(profile.versions.select_related("created_by").order_by("-number"))


def rescore_run_latest(*, profile: IcpProfile | None = None) -> RescoreRun | None:
    runs = RescoreRun.objects.select_related("profile", "created_by")
    if profile is not None:
        runs = runs.filter(profile=profile)
    return runs.order_by("-id").first()


# --- precomputed analyses ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredAnalysis:
    """What an analysis page shows: the figures rebuilt from the stored snapshot (None when not computed yet),
    the snapshot itself (as_of, computed_at) and the refresh to report (running, or the latest one)."""

    figures: Any
    snapshot: ProfileAnalysis | None
    refresh: AnalysisRefresh | None

    @property
    def refreshing(self) -> bool:
        return self.refresh is not None and self.refresh.in_progress


def analysis_snapshot(*, kind: str, version: IcpProfileVersion | None = None) -> ProfileAnalysis | None:
    """One stored snapshot by (kind, version): one indexed row (the unique constraints of ProfileAnalysis)."""
    return ProfileAnalysis.objects.filter(kind=kind, version=version).first()


def analysis_refresh_latest(*, version: IcpProfileVersion | None = None) -> AnalysisRefresh | None:
    """The refresh a page reports: one pending or running, else the newest (to show a failure).

    Every refresh computes the global snapshots and each profile's current review; an older version's review
    only comes from a refresh asked for that version, so pass ``version`` for an older version only.
    """
    runs = AnalysisRefresh.objects.select_related("created_by")
    if version is not None:
        runs = runs.filter(version=version)
    running = runs.filter(status__in=[AnalysisRefresh.Status.PENDING, AnalysisRefresh.Status.RUNNING]).order_by("-id")
    return running.first() or runs.order_by("-id").first()


def stored_review(*, profile: IcpProfile, version: IcpProfileVersion | None) -> StoredAnalysis:
    """The review of one version from its snapshot (the Review dataclass of the live selector)."""
    if version is None:  # a profile without any version has nothing to review
        return StoredAnalysis(figures=None, snapshot=None, refresh=None)
    snapshot = analysis_snapshot(kind=ProfileAnalysis.Kind.REVIEW, version=version)
    figures = snap.review_from_data(snapshot.data, version_spec(profile, version)) if snapshot else None
    current = version.id == profile.current_version_id
    return StoredAnalysis(figures=figures, snapshot=snapshot,
                          refresh=analysis_refresh_latest(version=None if current else version))


def stored_learning(*, loyal: bool, active_min_wins: int | None, min_sample: int) -> StoredAnalysis:
    """Best customers vs all targets for one choice of best customers, from the stored counts."""
    snapshot = analysis_snapshot(kind=ProfileAnalysis.Kind.LEARN)
    figures = snap.learning_from_data(snapshot.data, loyal=loyal, active_min_wins=active_min_wins,
                                      min_sample=min_sample) if snapshot else None
    return StoredAnalysis(figures=figures, snapshot=snapshot, refresh=analysis_refresh_latest())


def stored_breadth() -> StoredAnalysis:
    snapshot = analysis_snapshot(kind=ProfileAnalysis.Kind.BREADTH)
    return StoredAnalysis(figures=snap.breadth_from_data(snapshot.data) if snapshot else None, snapshot=snapshot,
                          refresh=analysis_refresh_latest())


def tier_counts_stored() -> ProfileAnalysis | None:
    """The accounts-per-profile-and-tier snapshot (one row) for the profile list and page."""
    return analysis_snapshot(kind=ProfileAnalysis.Kind.TIERS)


def profile_tier_counts(tiers: ProfileAnalysis | None, *, profile_id: int) -> dict[str, int] | None:
    """{"A": n, "B": n, "C": n} for one profile from the ``tiers`` snapshot; None when not computed yet."""
    if tiers is None:
        return None
    counts = tiers.data.get("profiles", {}).get(str(profile_id), {})
    return {t: int(counts.get(t, 0)) for t in TIERS}


# --- comparing two versions -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CriterionChange:
    """One row of a side-by-side comparison: `status` is same, changed, added or removed."""

    status: str
    old: Mapping | None
    new: Mapping | None
    old_index: int | None = None
    new_index: int | None = None
    fields: tuple[str, ...] = ()  # which of op, value, weight differ, for a changed row


@dataclass(frozen=True)
class VersionDiff:
    rows: list[CriterionChange]
    tiers_changed: tuple[str, ...] = ()
    description_changed: bool = False
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def has_changes(self) -> bool:
        return bool(self.tiers_changed or self.description_changed or any(r.status != "same" for r in self.rows))


def _differing(old: Mapping, new: Mapping) -> tuple[str, ...]:
    return tuple(f for f in ("attribute", "op", "value", "weight") if old.get(f) != new.get(f))


def diff_versions(*, old: IcpProfileVersion | None, new: IcpProfileVersion) -> VersionDiff:
    """Criteria added, removed and changed between two versions, plus the tier cut-offs that moved.

    Criteria are paired first by (attribute, operator) in order, then what is left by attribute alone, so
    "employees between → gte" reads as one changed criterion rather than one removed and one added.
    """
    before: Sequence[Mapping] = list(old.criteria) if old else []
    after: Sequence[Mapping] = list(new.criteria)
    pairs: dict[int, int] = {}  # new index → old index
    taken: set[int] = set()
    for key in (lambda c: (c.get("attribute"), c.get("op")), lambda c: c.get("attribute")):
        for j, criterion in enumerate(after):
            if j in pairs:
                continue
            for i, previous in enumerate(before):
                if i not in taken and key(previous) == key(criterion):
                    pairs[j] = i
                    taken.add(i)
                    break
    rows: list[CriterionChange] = []
    for j, criterion in enumerate(after):
        if j in pairs:
            i = pairs[j]
            changed = _differing(before[i], criterion)
            rows.append(CriterionChange("changed" if changed else "same", before[i], criterion, i, j, changed))
        else:
            rows.append(CriterionChange("added", None, criterion, None, j))
    rows += [CriterionChange("removed", c, None, i, None) for i, c in enumerate(before) if i not in taken]
    old_tiers = dict(old.tiers) if old else {}
    tiers_changed = tuple(t for t in ("A", "B") if old_tiers.get(t) != dict(new.tiers).get(t))
    counts = {s: sum(1 for r in rows if r.status == s) for s in ("same", "changed", "added", "removed")}
    return VersionDiff(rows=rows, tiers_changed=tiers_changed,
                       description_changed=bool(old) and old.description != new.description, counts=counts)
