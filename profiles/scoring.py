"""ICP fit (docs/rules.md §6): pure scoring, plus one loader of the active profiles."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from core.yesno import yes_no

from .models import IcpProfile

DEFAULT_TIERS: dict[str, int] = {"A": 80, "B": 50}

# The criterion operators (docs/rules.md §6), one list read by scoring, fit_sql, validation and the editor's forms.
EQUALITY_OPS: tuple[str, ...] = ("eq", "ne", "in", "not_in")
BOUND_OPS: tuple[str, ...] = ("gt", "gte", "lt", "lte")  # value: one number
NUMERIC_OPS: tuple[str, ...] = BOUND_OPS + ("between",)  # read values as numbers; between: [low, high]
NO_VALUE_OPS: tuple[str, ...] = ("is_true", "is_false")  # no value; yes/no attributes only
LIST_ATTRIBUTE_OPS: tuple[str, ...] = ("contains", "contains_any")  # list attributes only
OPERATORS: tuple[str, ...] = EQUALITY_OPS + NUMERIC_OPS + NO_VALUE_OPS + LIST_ATTRIBUTE_OPS
SINGLE_VALUE_OPS: tuple[str, ...] = ("eq", "ne", "contains")  # value: one value, not a list
LIST_VALUE_OPS: tuple[str, ...] = ("in", "not_in", "contains_any")  # value: a non-empty list
# Match when a value is among the values / when a (present) value is none of them:
POSITIVE_OPS: tuple[str, ...] = ("eq", "in", "contains", "contains_any")
NEGATIVE_OPS: tuple[str, ...] = ("ne", "not_in")

# Account fields a criterion may name: the accounts CSV columns of docs/api.md §2 that describe the company.
TEXT_ATTRIBUTES = ("name", "corporate_number", "domain", "industry", "prefecture", "external_id")
NUMERIC_ATTRIBUTES = ("employees", "annual_revenue", "revenue_growth_pct", "promo_budget", "avg_order_amount")
BOOLEAN_ATTRIBUTES = ("listed", "is_target")
LIST_ATTRIBUTES = ("departments", "regions", "technologies")
ATTRIBUTES: tuple[str, ...] = TEXT_ATTRIBUTES + NUMERIC_ATTRIBUTES + BOOLEAN_ATTRIBUTES + LIST_ATTRIBUTES
ACCOUNT_ATTRIBUTE_FIELDS: tuple[str, ...] = ATTRIBUTES


@dataclass(frozen=True)
class Criterion:
    attribute: str
    op: str
    value: Any
    weight: int


@dataclass(frozen=True)
class ProfileSpec:
    profile_id: int | None
    name: str
    criteria: tuple[Criterion, ...]
    tiers: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_TIERS))


@dataclass(frozen=True)
class FitResult:
    fit: int
    profile_id: int | None
    profile_name: str
    tier: str
    matched: tuple[int, ...]


NO_FIT = FitResult(fit=0, profile_id=None, profile_name="", tier="", matched=())


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, (list, tuple)) and not value)


def as_text(value: Any) -> str:
    return str(value).strip().casefold()


def as_number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    # "NaN" and "Infinity" parse as Decimals but are no quantity (and NaN refuses to be ordered): they are text.
    return number if number.is_finite() else None


def _equal(left: Any, right: Any) -> bool:
    """Numbers compare numerically, everything else as trimmed, case-insensitive text."""
    a, b = as_number(left), as_number(right)
    if a is not None and b is not None:
        return a == b
    if isinstance(left, bool) or isinstance(right, bool):
        return as_boolean(left) is not None and as_boolean(left) == as_boolean(right)
    return as_text(left) == as_text(right)


def as_boolean(value: Any) -> bool | None:
    """A yes/no value: a bool, or a word of core.yesno (which fit_sql compares in SQL too); None otherwise."""
    if isinstance(value, bool):
        return value
    return yes_no(str(value))


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]


def _compare(value: Any, bound: Any, op: str) -> bool:
    a, b = as_number(value), as_number(bound)
    if a is None or b is None:
        return False
    return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]


def criterion_matches(criterion: Criterion, attributes: Mapping[str, Any]) -> bool:
    value = attributes.get(criterion.attribute)
    if _is_missing(value):
        return False  # a missing value never matches, not even ne or not_in
    op, expected = criterion.op, criterion.value
    is_list = isinstance(value, (list, tuple))
    elements = [v for v in _as_list(value) if not _is_missing(v)]
    if not elements:
        return False
    if op == "eq":
        return any(_equal(v, expected) for v in elements) if is_list else _equal(value, expected)
    if op == "ne":
        return not any(_equal(v, expected) for v in elements)
    if op == "in":
        # On a list attribute: matches when any element is in the values.
        return any(_equal(v, e) for v in elements for e in _as_list(expected))
    if op == "not_in":
        # Read as the negation of `in`: on a list attribute it matches when no element is in the values.
        return not any(_equal(v, e) for v in elements for e in _as_list(expected))
    if op in BOUND_OPS:
        return not is_list and _compare(value, expected, op)
    if op == "between":
        low, high = _as_list(expected)[:2] if len(_as_list(expected)) >= 2 else (None, None)
        return not is_list and _compare(value, low, "gte") and _compare(value, high, "lte")
    if op == "is_true":
        return not is_list and as_boolean(value) is True
    if op == "is_false":
        return not is_list and as_boolean(value) is False
    if op == "contains":
        return any(_equal(v, expected) for v in elements)
    if op == "contains_any":
        return any(_equal(v, e) for v in elements for e in _as_list(expected))
    raise ValueError(f"unknown operator {op!r}")


def tier_for(fit: int, tiers: Mapping[str, int]) -> str:
    if fit >= int(tiers.get("A", DEFAULT_TIERS["A"])):
        return "A"
    if fit >= int(tiers.get("B", DEFAULT_TIERS["B"])):
        return "B"
    return "C"


def profile_fit(attributes: Mapping[str, Any], profile: ProfileSpec) -> tuple[int, tuple[int, ...]]:
    """fit = ⌊100 × matched weight / total weight + 0.5⌋, in exact integer arithmetic."""
    matched = tuple(i for i, c in enumerate(profile.criteria) if criterion_matches(c, attributes))
    total = sum(c.weight for c in profile.criteria)
    if total <= 0:
        return 0, matched
    got = sum(profile.criteria[i].weight for i in matched)
    return (200 * got + total) // (2 * total), matched


def best_fit(attributes: Mapping[str, Any], profiles: Sequence[ProfileSpec]) -> FitResult:
    """The maximum over the (active) profiles; ties go to the name that sorts first by code point."""
    best: FitResult | None = None
    for profile in sorted(profiles, key=lambda p: p.name):
        fit, matched = profile_fit(attributes, profile)
        if best is None or fit > best.fit:
            best = FitResult(fit, profile.profile_id, profile.name, tier_for(fit, profile.tiers), matched)
    return best or NO_FIT


def attribute_fields_read_by(profiles: Sequence[ProfileSpec]) -> tuple[str, ...]:
    """The Account fields the profiles' criteria read: bulk readers load only these (decoding unused list columns
    costs a third of a nightly chunk)."""
    used = {c.attribute for p in profiles for c in p.criteria}
    return tuple(f for f in ACCOUNT_ATTRIBUTE_FIELDS if f in used)


def matched_unchanged(stored_text: str | None, matched: Sequence[str]) -> bool:
    """Whether a stored matched-criteria JSON list (read as text) equals `matched`: a text comparison first, a
    decode only when the texts differ (PostgreSQL and SQLite print JSON differently)."""
    if stored_text is None:
        return False
    new = list(matched)
    if stored_text == json.dumps(new, ensure_ascii=False):
        return True
    try:
        return json.loads(stored_text) == new
    except ValueError:
        return False


def account_attributes(values: Mapping[str, Any]) -> dict[str, Any]:
    """Attribute dict read by criteria, from Account field values (a `.values()` row or similar)."""
    return {name: values.get(name) for name in ATTRIBUTES}


def spec_from_version(*, profile_id: int | None, name: str, criteria: Iterable[Mapping], tiers: Mapping | None) -> ProfileSpec:
    return ProfileSpec(
        profile_id=profile_id,
        name=name,
        criteria=tuple(
            Criterion(attribute=c["attribute"], op=c["op"], value=c.get("value"), weight=int(c.get("weight", 1)))
            for c in criteria
        ),
        tiers=dict(tiers) if tiers else dict(DEFAULT_TIERS),
    )


def version_spec(profile: Any, version: Any = None) -> ProfileSpec:
    """The spec of one IcpProfile at ``version`` (default: its current version; none: no criteria)."""
    version = version or profile.current_version
    return spec_from_version(profile_id=profile.id, name=profile.name, criteria=version.criteria if version else [],
                             tiers=version.tiers if version else None)


def load_active_profile_specs() -> list[ProfileSpec]:
    """Active profiles with their current version (one query)."""
    specs = []
    for profile in IcpProfile.objects.filter(active=True, current_version__isnull=False).select_related("current_version"):
        version = profile.current_version
        specs.append(spec_from_version(profile_id=profile.id, name=profile.name, criteria=version.criteria, tiers=version.tiers))
    return specs
