"""Writes of coverage standards: validated, versioned, audited."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.choices import Channel, ContentStage, Role, TouchKind
from core.models import AuditEntry, User
from core.versioning import StaleVersion, StaleVersions, check_version

from .models import MIN_COUNT, WINDOW_DAYS, Requirement, Standard, StandardChange

# What a change's comment keeps (StandardChange.comment).
COMMENT_LENGTH = 300


# A requirement's fields as a snapshot, an edit, the API and the export carry them, in this order.
REQUIREMENT_FIELDS = ("code", "kind", "min_count", "window_days", "responsible_role", "performer_roles",
                      "content_stage", "channel")
# A requirement's content plan: absent in snapshots written before it existed, read as empty.
PLAN_DEFAULTS = {"content_stage": "", "channel": ""}


def requirement_snapshot(r: Requirement) -> dict:
    return {"code": r.code, "kind": r.kind, "min_count": r.min_count, "window_days": r.window_days,
            "responsible_role": r.responsible_role, "performer_roles": list(r.performer_roles or []),
            "content_stage": r.content_stage, "channel": r.channel}


def standard_snapshot(standard: Standard) -> dict:
    """The standard as its history stores it; reads the prefetched requirements when there are some."""
    requirements = sorted(standard.requirements.all(), key=lambda r: (r.order, r.id))
    return {
        "purpose": standard.purpose, "owner_role": standard.owner_role,
        "content_stages": list(standard.content_stages or []), "channels": list(standard.channels or []),
        "requirements": [requirement_snapshot(r) for r in requirements],
    }


def normalized_snapshot(snapshot: Mapping | None) -> dict | None:
    """A stored snapshot with the fields added since it was written filled in as empty."""
    if snapshot is None:
        return None
    return {"purpose": snapshot.get("purpose", ""), "owner_role": snapshot.get("owner_role", ""),
            "content_stages": list(snapshot.get("content_stages") or []),
            "channels": list(snapshot.get("channels") or []),
            "requirements": [{**PLAN_DEFAULTS, **r} for r in snapshot.get("requirements") or []]}


def validate_plan(*, content_stages: Sequence | None, channels: Sequence | None) -> dict:
    """A state's content plan: lists of content stages and channels, each one of the choices, no repeats."""
    errors: dict[str, str] = {}
    clean: dict[str, list[str] | None] = {}
    for field, values, choices in (("content_stages", content_stages, ContentStage.values),
                                   ("channels", channels, Channel.values)):
        if values is None:
            clean[field] = None
            continue
        if isinstance(values, str) or not isinstance(values, Sequence):
            errors[field] = _("must be a list")
            continue
        unknown = [str(v) for v in values if v not in choices]
        if unknown:
            errors[field] = _("unknown value(s) %(values)s; choose from %(choices)s") % {
                "values": ", ".join(unknown), "choices": ", ".join(choices)}
        clean[field] = list(dict.fromkeys(values))
    if errors:
        raise ValidationError(errors)
    return clean


def validate_requirements(requirements: Sequence[Mapping]) -> list[dict]:
    errors: list[str] = []
    clean: list[dict] = []
    codes: set[str] = set()
    for i, r in enumerate(requirements):
        where = f"requirements[{i}]"
        code = str(r.get("code") or "").strip()
        if not code:
            errors.append(f"{where}.code: " + _("a code is required"))
        elif code in codes:
            errors.append(f"{where}.code: " + _("'%(code)s' is used twice in this standard") % {"code": code})
        codes.add(code)
        kind = r.get("kind")
        if kind not in TouchKind.values:
            errors.append(f"{where}.kind: " + _("must be human or digital"))
        values = {}
        for field, (low, high) in (("min_count", MIN_COUNT), ("window_days", WINDOW_DAYS)):
            try:
                values[field] = int(r.get(field))
                if not low <= values[field] <= high:
                    raise ValueError
            except (TypeError, ValueError):
                errors.append(f"{where}.{field}: " + _("must be a whole number from %(low)d to %(high)d") % {
                    "low": low, "high": high})
        if r.get("responsible_role") not in Role.values:
            errors.append(f"{where}.responsible_role: " + _("unknown role %(role)s; choose from %(choices)s") % {
                "role": repr(r.get("responsible_role")), "choices": ", ".join(Role.values)})
        performer_roles = list(r.get("performer_roles") or [])
        unknown = [p for p in performer_roles if p not in Role.values]
        if unknown:
            errors.append(f"{where}.performer_roles: " + _("unknown role(s) %(roles)s; choose from %(choices)s") % {
                "roles": ", ".join(map(str, unknown)), "choices": ", ".join(Role.values)})
        plan = {field: r.get(field) or "" for field in PLAN_DEFAULTS}
        for field, choices in (("content_stage", ContentStage.values), ("channel", Channel.values)):
            if plan[field] and plan[field] not in choices:
                errors.append(f"{where}.{field}: " + _("unknown value %(value)s; choose from %(choices)s") % {
                    "value": repr(plan[field]), "choices": ", ".join(choices)})
        clean.append({"code": code, "kind": kind, **values, "responsible_role": r.get("responsible_role"),
                      "performer_roles": performer_roles, **plan})
    if errors:
        raise ValidationError({"requirements": errors})
    return clean


def _standard_label(standard: Standard) -> str:
    return _("The standard of %(state)s") % {"state": standard.get_state_display()}


def standard_update(
    *, standard: Standard, requirements: Sequence[Mapping], actor: User | None, purpose: str | None = None,
    owner_role: str | None = None, comment: str = "", expected_version: int | None = None,
    content_stages: Sequence[str] | None = None, channels: Sequence[str] | None = None, action: str = "standard.update",
) -> Standard:
    """Replace a standard's requirements as a whole; a new version with before/after in the history.

    Compare-and-set under the row lock: with ``expected_version`` (the version the editor or API client read) a
    standard saved by someone else since is refused with core.versioning.StaleVersion and nothing is written;
    without it the save is not checked (docs/api.md §5, "Versions and conflicts"). ``content_stages`` and
    ``channels`` (the state's content plan) and ``purpose`` / ``owner_role`` are kept as they are when None."""
    clean = validate_requirements(requirements)
    plan = validate_plan(content_stages=content_stages, channels=channels)
    if owner_role and owner_role not in Role.values:
        raise ValidationError({"owner_role": _("unknown role %(role)s; choose from %(choices)s") % {
            "role": repr(owner_role), "choices": ", ".join(Role.values)}})
    with transaction.atomic():
        standard = Standard.objects.select_for_update().get(pk=standard.pk)
        check_version(current=standard.version, expected=expected_version, label=_standard_label(standard),
                      object_type="standard", object_id=standard.state)
        before = standard_snapshot(standard)
        if purpose is not None:
            standard.purpose = purpose
        if owner_role is not None:
            standard.owner_role = owner_role
        for field, value in plan.items():
            if value is not None:
                setattr(standard, field, value)
        existing = {r.code: r for r in standard.requirements.all()}
        keep = set()
        for order, item in enumerate(clean):
            req = existing.get(item["code"]) or Requirement(standard=standard, code=item["code"])
            for field in REQUIREMENT_FIELDS[1:]:
                setattr(req, field, item[field])
            req.order = order
            req.save()
            keep.add(item["code"])
        standard.requirements.exclude(code__in=keep).delete()
        after = standard_snapshot(standard)
        if after == before:
            return standard
        standard.version += 1
        standard.save()
        StandardChange.objects.create(standard=standard, version=standard.version, changed_by=actor, before=before,
                                      after=after, comment=comment)
        AuditEntry.objects.create(actor=actor, action=action, object_type="standard", object_id=standard.state,
                                  before={**before, "version": standard.version - 1},
                                  after={**after, "version": standard.version})
    return standard


def standard_as_of_version(*, standard: Standard, version: int) -> dict | None:
    """The standard's snapshot (`standard_snapshot`) as it was at ``version``, from its history; None when the
    history does not say."""
    change = StandardChange.objects.filter(standard=standard, version=version).order_by("-id").first()
    if change is not None:
        return normalized_snapshot(change.after)
    change = StandardChange.objects.filter(standard=standard, version=version + 1).order_by("-id").first()
    return normalized_snapshot(change.before) if change is not None else None


def standard_set_save(
    *, requirements_by_state: Mapping[str, Sequence[Mapping]], actor: User | None, comment: str = "",
    expected_versions: Mapping[str, int] | None = None,
) -> int:
    """Save the standards editor as a whole: each named state's requirements replaced, all or none (one
    transaction); each standard that changed gets a new version, its history row and its audit entry
    (`standard_update`). Returns how many standards changed.

    ``expected_versions`` are the versions the editor was opened at, per state; the check is per state (docs/api.md
    §5): a state saved by someone else since is left as it is when this editor did not change it (its rows are
    still those of the version it read), and refuses the whole save when it did (StaleVersions naming every such
    state; nothing written).
    """
    expected_versions = expected_versions or {}
    changed = 0
    with transaction.atomic():
        standards = list(Standard.objects.select_for_update().filter(state__in=list(requirements_by_state))
                         .order_by("id"))
        conflicts: list[StaleVersion] = []
        to_save: list[Standard] = []
        for standard in standards:
            expected = expected_versions.get(standard.state)
            if expected is not None and expected != standard.version:
                proposed = validate_requirements(requirements_by_state[standard.state])
                read = standard_as_of_version(standard=standard, version=expected)
                if read is not None and read["requirements"] == proposed:
                    continue  # untouched here: someone else's newer rows stay
                if standard_snapshot(standard)["requirements"] == proposed:
                    continue  # already what this editor asks for: nothing to write, nothing lost
                try:
                    check_version(current=standard.version, expected=expected, label=_standard_label(standard),
                                  object_type="standard", object_id=standard.state)
                except StaleVersion as exc:
                    conflicts.append(exc)
                continue
            to_save.append(standard)
        if conflicts:
            raise StaleVersions(conflicts)
        for standard in to_save:
            before = standard.version
            updated = standard_update(standard=standard, requirements=requirements_by_state[standard.state],
                                      actor=actor, comment=comment[:COMMENT_LENGTH],
                                      expected_version=expected_versions.get(standard.state))
            changed += updated.version != before
    return changed


def standard_requirements_edited(
    *, standard: Standard, code: str | None, requirement: Mapping | None,
) -> list[dict]:
    """The standard's requirements with one edited in place: ``code`` None adds ``requirement`` at the end,
    ``requirement`` None removes ``code``, both given replace it where it stands (its code may change). What the
    table proposes for one cell, to preview or save; raises ValidationError when ``code`` is no requirement."""
    current = standard_snapshot(standard)["requirements"]
    if code is not None and code not in {r["code"] for r in current}:
        raise ValidationError({"code": _("This requirement no longer exists: someone removed it.")})
    if code is None:
        return [*current, dict(requirement)]
    if requirement is None:
        return [r for r in current if r["code"] != code]
    return [dict(requirement) if r["code"] == code else r for r in current]


def standard_restore(*, change: StandardChange, actor: User | None, before: bool = False, comment: str = "",
                     expected_version: int | None = None) -> Standard:
    """Put back the standard as it was at a version of its history (after ``change``, or before it): a new version
    like any save, with its history row and an audit entry `standard.restore` (docs/api.md §5)."""
    snapshot = normalized_snapshot(change.before if before else change.after)
    if snapshot is None:
        raise ValidationError(_("This change has no earlier version to restore."))
    version = change.version - 1 if before else change.version
    note = _("Restored version %(version)d.") % {"version": version}
    return standard_update(
        standard=change.standard, requirements=snapshot["requirements"], actor=actor, purpose=snapshot["purpose"],
        owner_role=snapshot["owner_role"], content_stages=snapshot["content_stages"], channels=snapshot["channels"],
        comment=f"{note} {comment}".strip()[:COMMENT_LENGTH], expected_version=expected_version,
        action="standard.restore",
    )
