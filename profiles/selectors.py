"""Reads for the ICP profile pages: the list with tier counts, one profile, its versions, and version diffs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import Count
from django.shortcuts import get_object_or_404

from .models import IcpProfile, IcpProfileVersion, RescoreRun

TIERS = ("A", "B", "C")


@dataclass(frozen=True)
class ProfileRow:
    profile: IcpProfile
    version: IcpProfileVersion | None
    tier_counts: dict[str, int]

    @property
    def criteria_count(self) -> int:
        return len(self.version.criteria) if self.version else 0


def profile_list_rows() -> list[ProfileRow]:
    """Every profile with its current version and accounts per tier: two queries whatever the number of profiles."""
    from accounts.models import Account

    profiles = list(IcpProfile.objects.select_related("current_version").order_by("name"))
    counts: dict[int, dict[str, int]] = {}
    # One GROUP BY over the accounts scored by some profile (icp_profile is an indexed foreign key).
    for row in (Account.objects.filter(icp_profile__isnull=False).values("icp_profile_id", "icp_tier")
                .annotate(n=Count("id")).order_by()):
        counts.setdefault(row["icp_profile_id"], {})[row["icp_tier"]] = row["n"]
    return [
        ProfileRow(profile=p, version=p.current_version,
                   tier_counts={t: counts.get(p.id, {}).get(t, 0) for t in TIERS})
        for p in profiles
    ]


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
