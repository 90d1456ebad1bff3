"""Writes of coverage standards: validated, versioned, audited."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from core.choices import Role, TouchKind
from core.models import AuditEntry, User
from engine.domain import RequirementSpec
from engine.preview import Preview, preview_tomorrow

from .models import Requirement, Standard, StandardChange

# What a change's comment keeps (StandardChange.comment).
COMMENT_LENGTH = 300


def standard_snapshot(standard: Standard) -> dict:
    return {
        "purpose": standard.purpose, "owner_role": standard.owner_role,
        "requirements": [
            {"code": r.code, "kind": r.kind, "min_count": r.min_count, "window_days": r.window_days,
             "responsible_role": r.responsible_role, "performer_roles": list(r.performer_roles or [])}
            for r in standard.requirements.order_by("order", "id")
        ],
    }


def validate_requirements(requirements: Sequence[Mapping]) -> list[dict]:
    errors: list[str] = []
    clean: list[dict] = []
    codes: set[str] = set()
    for i, r in enumerate(requirements):
        where = f"requirements[{i}]"
        code = str(r.get("code") or "").strip()
        if not code:
            errors.append(f"{where}.code: a code is required")
        elif code in codes:
            errors.append(f"{where}.code: '{code}' is used twice in this standard")
        codes.add(code)
        kind = r.get("kind")
        if kind not in TouchKind.values:
            errors.append(f"{where}.kind: must be human or digital")
        values = {}
        for field in ("min_count", "window_days"):
            try:
                values[field] = int(r.get(field))
                if values[field] < 1:
                    raise ValueError
            except (TypeError, ValueError):
                errors.append(f"{where}.{field}: must be a whole number ≥ 1")
        if r.get("responsible_role") not in Role.values:
            errors.append(f"{where}.responsible_role: unknown role {r.get('responsible_role')!r}")
        performer_roles = list(r.get("performer_roles") or [])
        unknown = [p for p in performer_roles if p not in Role.values]
        if unknown:
            errors.append(f"{where}.performer_roles: unknown role(s) {', '.join(map(str, unknown))}")
        clean.append({"code": code, "kind": kind, **values, "responsible_role": r.get("responsible_role"),
                      "performer_roles": performer_roles})
    if errors:
        raise ValidationError({"requirements": errors})
    return clean


def standard_update(
    *, standard: Standard, requirements: Sequence[Mapping], actor: User | None, purpose: str | None = None,
    owner_role: str | None = None, comment: str = "",
) -> Standard:
    """Replace a standard's requirements as a whole; a new version with before/after in the history."""
    clean = validate_requirements(requirements)
    if owner_role and owner_role not in Role.values:
        raise ValidationError({"owner_role": f"unknown role {owner_role!r}"})
    with transaction.atomic():
        standard = Standard.objects.select_for_update().get(pk=standard.pk)
        before = standard_snapshot(standard)
        if purpose is not None:
            standard.purpose = purpose
        if owner_role is not None:
            standard.owner_role = owner_role
        existing = {r.code: r for r in standard.requirements.all()}
        keep = set()
        for order, item in enumerate(clean):
            req = existing.get(item["code"]) or Requirement(standard=standard, code=item["code"])
            for field in ("kind", "min_count", "window_days", "responsible_role", "performer_roles"):
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
        AuditEntry.objects.create(actor=actor, action="standard.update", object_type="standard", object_id=standard.state,
                                  before=before, after=after)
    return standard


def standard_set_save(
    *, requirements_by_state: Mapping[str, Sequence[Mapping]], actor: User | None, comment: str = "",
) -> int:
    """Save the standards editor as a whole: each named state's requirements replaced, all or none (one
    transaction); each standard that changed gets a new version, its history row and its audit entry
    (`standard_update`). Returns how many standards changed."""
    changed = 0
    with transaction.atomic():
        for standard in Standard.objects.filter(state__in=list(requirements_by_state)).order_by("id"):
            before = standard.version
            updated = standard_update(standard=standard, requirements=requirements_by_state[standard.state],
                                      actor=actor, comment=comment[:COMMENT_LENGTH])
            changed += updated.version != before
    return changed


def standard_set_preview(*, requirements_by_state: Mapping[str, Sequence[Mapping]]) -> Preview:
    """What tomorrow's run would give if these requirements were saved (engine.preview; writes nothing)."""
    specs = {
        state: tuple(RequirementSpec(state=state, code=r["code"], kind=r["kind"], min_count=r["min_count"],
                                     window_days=r["window_days"], responsible_role=r["responsible_role"],
                                     performer_roles=tuple(r["performer_roles"])) for r in requirements)
        for state, requirements in requirements_by_state.items()
    }
    return preview_tomorrow(requirements=specs)
