"""The standard in words: a requirement as one readable cell, a state's content plan, and a saved change as a diff
of before → after per requirement, every code shown by its label (docs/rules.md §4).

Pure functions over snapshots (standards.services.standard_snapshot's shape): no queries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.choices import Channel, ContentStage, Role, TouchKind

from .services import REQUIREMENT_FIELDS, normalized_snapshot

CHOICES = {"kind": TouchKind, "responsible_role": Role, "owner_role": Role, "content_stage": ContentStage,
           "channel": Channel}
LIST_CHOICES = {"performer_roles": Role, "content_stages": ContentStage, "channels": Channel}


def label(choices, value: str) -> str:
    """The label of a code, or the code itself when it is no longer one of the choices (an old snapshot)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def labels(choices, values: Sequence[str] | None) -> list[str]:
    return [label(choices, v) for v in values or ()]


def field_names() -> dict[str, str]:
    """Each field a diff may name, as the page names it."""
    return {
        "code": _("Code"), "kind": _("Kind"), "min_count": _("Minimum touches"), "window_days": _("Window (days)"),
        "responsible_role": _("Responsible role"), "performer_roles": _("Counted touches by"),
        "content_stage": _("Content stage"), "channel": _("Channel"), "purpose": _("Purpose"),
        "owner_role": _("Owner role"), "content_stages": _("Content stages"), "channels": _("Recommended channels"),
    }


def value_text(name: str, value) -> str:
    """One field's value in words."""
    if name in CHOICES:
        return label(CHOICES[name], value) if value else _("none")
    if name == "performer_roles":
        return ", ".join(labels(Role, value)) or _("anyone")
    if name in LIST_CHOICES:
        return ", ".join(labels(LIST_CHOICES[name], value)) or _("none")
    return str(value) if value not in (None, "") else _("none")


def requirement_text(r: Mapping) -> str:
    """"Human ×1 every 7 days · Field sales · counted: anyone"."""
    every = ngettext("every %(days)d day", "every %(days)d days", r["window_days"]) % {"days": r["window_days"]}
    return " · ".join([
        f"{label(TouchKind, r['kind'])} ×{r['min_count']} {every}",
        label(Role, r["responsible_role"]),
        _("counted: %(roles)s") % {"roles": value_text("performer_roles", r.get("performer_roles"))},
    ])


def plan_text(r: Mapping) -> str:
    """A requirement's content plan: "Solution · Visit", or empty."""
    parts = [label(ContentStage, r["content_stage"]) if r.get("content_stage") else "",
             label(Channel, r["channel"]) if r.get("channel") else ""]
    return " · ".join(p for p in parts if p)


@dataclass
class FieldChange:
    name: str
    before: str
    after: str


@dataclass
class RequirementDiff:
    code: str
    status: str  # added | removed | changed | same
    text_before: str = ""
    text_after: str = ""
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class ChangeDiff:
    standard: list[FieldChange]
    requirements: list[RequirementDiff]


def _field_changes(before: Mapping, after: Mapping, names: Sequence[str]) -> list[FieldChange]:
    titles = field_names()
    return [FieldChange(titles[n], value_text(n, before.get(n)), value_text(n, after.get(n)))
            for n in names if before.get(n) != after.get(n)]


def _full_text(r: Mapping) -> str:
    plan = plan_text(r)
    return f"{requirement_text(r)} · {plan}" if plan else requirement_text(r)


def change_diff(before: Mapping | None, after: Mapping) -> ChangeDiff:
    """What a saved change did: the state's own fields that changed, and each requirement added, removed, changed
    (with the fields that changed, before → after) or kept as it was; requirements are matched by code."""
    old = normalized_snapshot(before) or {"requirements": []}
    new = normalized_snapshot(after)
    standard = _field_changes(old, new, ("purpose", "owner_role", "content_stages", "channels")) if before else []
    old_by_code = {r["code"]: r for r in old["requirements"]}
    new_codes = {r["code"] for r in new["requirements"]}
    rows: list[RequirementDiff] = []
    for r in new["requirements"]:
        was = old_by_code.get(r["code"])
        if was is None:
            rows.append(RequirementDiff(r["code"], "added", text_after=_full_text(r)))
            continue
        changes = _field_changes(was, r, REQUIREMENT_FIELDS[1:])
        rows.append(RequirementDiff(r["code"], "changed" if changes else "same", _full_text(was), _full_text(r),
                                    changes))
    rows += [RequirementDiff(r["code"], "removed", text_before=_full_text(r))
             for r in old["requirements"] if r["code"] not in new_codes]
    return ChangeDiff(standard=standard, requirements=rows)
