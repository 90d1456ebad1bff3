"""Reads of coverage standards: the engine's view of them, the editor's rows and history."""

from __future__ import annotations

from django.db.models import QuerySet

from core.choices import State
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
