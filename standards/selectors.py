from __future__ import annotations

from engine.domain import RequirementSpec

from .models import Requirement


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
