"""Reads of coverage standards: the engine's view of them, the editor's rows and history."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet

from core.choices import Channel, ContentStage, Role, State
from engine.domain import RequirementSpec

from .models import Requirement, Standard, StandardChange


def requirement_specs_by_state() -> dict[str, tuple[RequirementSpec, ...]]:
    """Every standard's requirements, as the engine reads them (one query)."""
    specs: dict[str, list[RequirementSpec]] = {}
    for r in Requirement.objects.select_related("standard").order_by("standard__state", "order", "id"):
        specs.setdefault(r.standard.state, []).append(
            RequirementSpec(
                state=r.standard.state, code=r.code, kind=r.kind, min_count=r.min_count, window_days=r.window_days,
                responsible_role=r.responsible_role, performer_roles=tuple(r.performer_roles or ()),
            )
        )
    return {state: tuple(items) for state, items in specs.items()}


def standards_in_state_order() -> list[Standard]:
    """Every standard with its requirements, in the order of the states (docs/rules.md §3)."""
    standards = list(Standard.objects.prefetch_related("requirements").order_by("id"))
    order = {s: i for i, s in enumerate(State.values)}
    standards.sort(key=lambda s: order.get(s.state, 99))
    return standards


def standard_history(*, limit: int = 20) -> QuerySet[StandardChange]:
    """The latest saved changes, newest first."""
    return StandardChange.objects.select_related("standard", "changed_by").order_by("-changed_at", "-id")[:limit]


def standards_table() -> list[dict]:
    """The standards table's rows, in lifecycle order (docs/rules.md §3): each state with its purpose, owner role,
    content plan and requirements in words (standards.display). Two queries, whatever the number of rows."""
    from .display import label, labels, plan_text, requirement_text
    from .services import requirement_snapshot

    rows = []
    for standard in standards_in_state_order():
        requirements = [requirement_snapshot(r) for r in sorted(standard.requirements.all(), key=lambda r: (r.order, r.id))]
        rows.append({
            "standard": standard, "state_label": standard.get_state_display(),
            "owner_role_label": label(Role, standard.owner_role) if standard.owner_role else "",
            "stage_labels": labels(ContentStage, standard.content_stages),
            "channel_labels": labels(Channel, standard.channels),
            "requirements": [{**r, "text": requirement_text(r), "plan": plan_text(r)} for r in requirements],
        })
    return rows


def standard_changes(*, limit: int = 50, state: str | None = None) -> list[StandardChange]:
    """The latest saved changes, newest first, each with `diff` (standards.display.change_diff) and
    `restorable_before` (whether the version before it is in no other history row, so it is offered too)."""
    from .display import change_diff

    qs = StandardChange.objects.select_related("standard", "changed_by").order_by("-changed_at", "-id")
    if state:
        qs = qs.filter(standard__state=state)
    changes = list(qs[:limit])
    kept = {(c.standard_id, c.version) for c in changes}
    for change in changes:
        change.diff = change_diff(change.before, change.after)
        change.restorable_before = change.before is not None and (change.standard_id, change.version - 1) not in kept
    return changes



def touch_plan_initial(*, state: str, requirement_codes: Sequence[str] = ()) -> dict[str, str]:
    """What a touch form preselects for an account in `state` (one query): the kind and content plan of the first
    of `requirement_codes` (its open alerts' requirements) the state's standard has, else of the standard's first
    requirement; a human touch with nothing preselected when the state has none (docs/rules.md §4)."""
    requirements = list(Requirement.objects.filter(standard__state=state).order_by("order", "id")
                        .values("code", "kind", "content_stage", "channel"))
    by_code = {r["code"]: r for r in requirements}
    chosen = next((by_code[c] for c in requirement_codes if c in by_code), requirements[0] if requirements else None)
    if chosen is None:
        return {"kind": "human"}
    return {"kind": chosen["kind"], "content_stage": chosen["content_stage"], "channel": chosen["channel"]}
