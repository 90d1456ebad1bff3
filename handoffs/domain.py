"""Handoff rule matching (docs/rules.md §8): `pick_rule` is pure; `load_rule_specs` reads the rules it matches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .models import HandoffRule


@dataclass(frozen=True)
class RuleSpec:
    id: int | None
    name: str
    order: int
    to_state: str
    from_states: tuple[str, ...]
    from_role: str
    to_role: str
    model: str
    sla_business_hours: int
    active: bool = True


def pick_rule(rules: Sequence[RuleSpec], old_state: str, new_state: str) -> RuleSpec | None:
    """The first active rule, in order, whose to_state is the new state and whose from_states hold the old one (or are empty)."""
    for rule in sorted(rules, key=lambda r: (r.order, r.id or 0)):
        if rule.active and rule.to_state == new_state and (not rule.from_states or old_state in rule.from_states):
            return rule
    return None


def load_rule_specs() -> list[RuleSpec]:
    return [
        RuleSpec(
            id=r.id, name=r.name, order=r.order, to_state=r.to_state, from_states=tuple(r.from_states or ()),
            from_role=r.from_role, to_role=r.to_role, model=r.model, sla_business_hours=r.sla_business_hours, active=r.active,
        )
        for r in HandoffRule.objects.order_by("order", "id")
    ]
