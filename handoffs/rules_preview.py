"""What a handoff rule would have created in the last 90 days, and the handoffs each rule made in that time (the rules
editor's figures; docs/rules.md §8).

Set-based: the state transitions of the period are counted per (from state, to state) in one GROUP BY (the index
`transition_asof_states_idx` serves it, index only on PostgreSQL), a few hundred pairs at most whatever the number of
accounts; the rules are then matched to each pair in Python with the night's own `pick_rule`. Initial
classifications (no from state) create nothing, so they are not counted.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace

from django.db.models import Count

from core.timeutil import business_today
from segments.models import StateTransition

from .domain import RuleSpec, load_rule_specs, pick_rule
from .models import Handoff

WINDOW_DAYS = 90
# A rule not saved yet sorts after the saved rules of the same order, as its id will.
UNSAVED_ID = 2**62


def window_start(today: dt.date | None = None) -> dt.date:
    """The first day of the last 90 days (today included)."""
    return (today or business_today()) - dt.timedelta(days=WINDOW_DAYS - 1)


def transition_counts(*, since: dt.date) -> dict[tuple[str, str], int]:
    """The transitions (not initial classifications) dated `since` or later, per (from state, to state). One query."""
    rows = (StateTransition.objects.filter(as_of__gte=since).exclude(from_state="")
            .values_list("from_state", "to_state").annotate(n=Count("*")).order_by())
    return {(from_state, to_state): n for from_state, to_state, n in rows}


def handoffs_by_rule(*, since: dt.date) -> dict[int, int]:
    """The handoffs each rule created on `since` or later (rule id → count). One query."""
    rows = (Handoff.objects.filter(created_on__gte=since, rule__isnull=False).values_list("rule_id")
            .annotate(n=Count("*")).order_by())
    return dict(rows)


@dataclass
class RulePreview:
    """The transitions of the period that the proposed rule, at its order and with the other rules as they are, would
    have matched first (`matched`); of those, the ones the current rules matched differently (`differently`: to
    another rule, by name, or to none — `unmatched`); the transitions it matches but an earlier rule takes
    (`shadowed`, by that rule's name); and, for a saved rule, what it matches now (`currently`)."""

    since: dt.date
    active: bool
    matched: int = 0
    differently: int = 0
    unmatched: int = 0
    taken_from: list[tuple[str, int]] = field(default_factory=list)
    shadowed: int = 0
    shadowed_by: list[tuple[str, int]] = field(default_factory=list)
    currently: int | None = None


def _matches(rule: RuleSpec, old_state: str, new_state: str) -> bool:
    return rule.to_state == new_state and (not rule.from_states or old_state in rule.from_states)


def rule_preview(*, candidate: RuleSpec, today: dt.date | None = None) -> RulePreview:
    """docs/rules.md §8 applied to the last 90 days' transitions, with and without the proposed rule. A saved rule
    (`candidate.id`) replaces its stored self; a new one joins the rules. Two queries."""
    since = window_start(today)
    candidate = candidate if candidate.id is not None else replace(candidate, id=UNSAVED_ID)
    current = load_rule_specs()
    proposed = [r for r in current if r.id != candidate.id] + [candidate]
    saved = any(r.id == candidate.id for r in current)
    preview = RulePreview(since=since, active=candidate.active, currently=0 if saved else None)
    taken_from, shadowed_by = Counter(), Counter()
    for (old_state, new_state), n in transition_counts(since=since).items():
        now, then = pick_rule(current, old_state, new_state), pick_rule(proposed, old_state, new_state)
        if saved and now is not None and now.id == candidate.id:
            preview.currently += n
        if then is not None and then.id == candidate.id:
            preview.matched += n
            if now is None:
                preview.unmatched += n
            elif now.id != candidate.id:
                taken_from[now.name or f"#{now.order}"] += n
        elif candidate.active and _matches(candidate, old_state, new_state) and then is not None:
            shadowed_by[then.name or f"#{then.order}"] += n
    preview.taken_from = sorted(taken_from.items(), key=lambda item: (-item[1], item[0]))
    preview.shadowed_by = sorted(shadowed_by.items(), key=lambda item: (-item[1], item[0]))
    preview.differently = preview.unmatched + sum(taken_from.values())
    preview.shadowed = sum(shadowed_by.values())
    return preview
