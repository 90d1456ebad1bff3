"""The one check of an ICP profile (docs/rules.md §6, docs/api.md §3), read by every way a profile is saved: the API,
the editor's form, the JSON import page and import_icp all reach it through services.profile_save.

Every value is bounded so that what is saved can be scored at night: weights are integers 1–1,000, numbers are
finite and, on a numeric attribute, within the range of its column (a value beyond it used to reach the nightly
SQL and fail there), tier thresholds are integers 0–100 with A above B. Problems are reported all at once, each
under the field it concerns (``criteria[i].field: message``), as a ValidationError the API answers with 400.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import DecimalField

from accounts.models import Account

from .models import IcpProfile, IcpProfileVersion
from .scoring import (
    ATTRIBUTES, BOOLEAN_ATTRIBUTES, DEFAULT_TIERS, LIST_ATTRIBUTE_OPS, LIST_ATTRIBUTES, LIST_VALUE_OPS, NO_VALUE_OPS,
    NUMERIC_ATTRIBUTES, NUMERIC_OPS, OPERATORS, SINGLE_VALUE_OPS, as_boolean, as_number,
)

MIN_WEIGHT, MAX_WEIGHT = 1, 1_000
MIN_TIER, MAX_TIER = 0, 100
MAX_NAME_LENGTH: int = IcpProfile._meta.get_field("name").max_length
MAX_COMMENT_LENGTH: int = IcpProfileVersion._meta.get_field("comment").max_length


@dataclass(frozen=True)
class ProfileInput:
    """A profile as it is saved: every field checked."""

    name: str
    description: str
    active: bool
    tiers: dict[str, int]
    criteria: list[dict]
    comment: str = ""


def profile_input(data: Any, *, comment: str = "") -> ProfileInput:
    """The profile of the JSON of docs/api.md §3 (``tiers`` and ``active`` may be left out), or a ValidationError
    naming every field that is wrong."""
    if not isinstance(data, Mapping):
        raise ValidationError({"profile": "the JSON must be an object"})
    errors: dict[str, list[str]] = {}
    checks = (("name", validate_name, data.get("name")), ("description", _text, data.get("description")),
              ("active", _active, data.get("active", True)), ("tiers", validate_tiers, data.get("tiers")),
              ("criteria", validate_criteria, data.get("criteria")), ("comment", _comment, comment))
    clean: dict[str, Any] = {}
    for field, check, value in checks:
        try:
            clean[field] = check(value)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return ProfileInput(**clean)


def validate_name(name: Any) -> str:
    if name is not None and not isinstance(name, str):
        raise ValidationError({"name": "the name must be text"})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "a profile needs a name"})
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError({"name": f"the name is longer than {MAX_NAME_LENGTH} characters"})
    return name


def _text(description: Any) -> str:
    if description is not None and not isinstance(description, str):
        raise ValidationError({"description": "the description must be text"})
    return description or ""


def _active(active: Any) -> bool:
    if not isinstance(active, bool):
        raise ValidationError({"active": "active must be true or false"})
    return active


def _comment(comment: Any) -> str:
    comment = str(comment or "")
    if len(comment) > MAX_COMMENT_LENGTH:
        raise ValidationError({"comment": f"the comment is longer than {MAX_COMMENT_LENGTH} characters"})
    return comment


def validate_tiers(tiers: Any) -> dict[str, int]:
    """{"A": a, "B": b}, whole numbers 0–100 with A above B; None: the defaults."""
    if tiers is None:
        return dict(DEFAULT_TIERS)
    if not isinstance(tiers, Mapping) or set(tiers) != {"A", "B"}:
        raise ValidationError({"tiers": 'tiers must be {"A": n, "B": m}'})
    a, b = tiers["A"], tiers["B"]
    if not all(_is_integer(x) and MIN_TIER <= x <= MAX_TIER for x in (a, b)) or a <= b:
        raise ValidationError({"tiers": f"tier thresholds are whole numbers {MIN_TIER}–{MAX_TIER} with A above B"})
    return {"A": a, "B": b}


def validate_criteria(criteria: Any) -> list[dict]:
    """Check every criterion; messages name its index and field."""
    if not isinstance(criteria, list) or not criteria:
        raise ValidationError({"criteria": "criteria must be a non-empty list"})
    errors: list[str] = []
    clean: list[dict] = []
    for i, criterion in enumerate(criteria):
        where = f"criteria[{i}]"
        if not isinstance(criterion, Mapping):
            errors.append(f"{where}: must be an object with attribute, op, value, weight")
            continue
        problems = _criterion_problems(criterion)
        errors += [f"{where}{problem}" for problem in problems]
        attribute, op = criterion.get("attribute"), criterion.get("op")
        entry = {"attribute": attribute, "op": op, "weight": criterion.get("weight", 1)}
        if op not in NO_VALUE_OPS:
            entry["value"] = criterion.get("value")
        clean.append(entry)
    if errors:
        raise ValidationError({"criteria": errors})
    return clean


def _criterion_problems(criterion: Mapping) -> list[str]:
    """".field: message" for each problem of one criterion."""
    attribute, op, value, weight = (criterion.get("attribute"), criterion.get("op"), criterion.get("value"),
                                    criterion.get("weight", 1))
    problems: list[str] = []
    if attribute not in ATTRIBUTES:
        problems.append(f".attribute: unknown attribute {attribute!r} (one of {', '.join(ATTRIBUTES)})")
    if op not in OPERATORS:
        problems.append(f".op: unknown operator {op!r} (one of {', '.join(OPERATORS)})")
    if not (_is_integer(weight) and MIN_WEIGHT <= weight <= MAX_WEIGHT):
        problems.append(f".weight: must be a positive integer up to {MAX_WEIGHT:,}, got {weight!r}")
    problems += _shape_problems(op, value)
    if op in NUMERIC_OPS and attribute in LIST_ATTRIBUTES + BOOLEAN_ATTRIBUTES:
        problems.append(f".op: {op} does not apply to {attribute}")
    if op in LIST_ATTRIBUTE_OPS and attribute not in LIST_ATTRIBUTES:
        problems.append(f".op: {op} applies to list attributes ({', '.join(LIST_ATTRIBUTES)})")
    if op in NO_VALUE_OPS and attribute not in BOOLEAN_ATTRIBUTES:
        problems.append(f".op: {op} applies to yes/no attributes ({', '.join(BOOLEAN_ATTRIBUTES)})")
    if not problems and op not in NO_VALUE_OPS:
        problems += _type_problems(attribute, value)
    return problems


def _shape_problems(op: Any, value: Any) -> list[str]:
    """Whether the value has the shape its operator reads: a list, [low, high], a number, one value (as_number
    reads NaN and the infinities as no number)."""
    if op in LIST_VALUE_OPS:
        if not isinstance(value, list) or not value:
            return [f".value: {op} needs a non-empty list"]
        if not all(_is_scalar(v) for v in value):
            return [f".value: {op} needs a list of single values"]
    elif op == "between":
        if not (isinstance(value, list) and len(value) == 2 and all(as_number(v) is not None for v in value)):
            return [".value: between needs [low, high] numbers"]
        if as_number(value[0]) > as_number(value[1]):
            return [".value: between needs low ≤ high"]
    elif op in NUMERIC_OPS:
        if as_number(value) is None:
            return [f".value: {op} needs a number"]
    elif op in SINGLE_VALUE_OPS and not _is_scalar(value):
        return [f".value: {op} needs a single value"]
    return []


def _type_problems(attribute: str, value: Any) -> list[str]:
    """Whether every value is one the attribute can hold: a finite number (within its column on a numeric
    attribute), a yes/no on a yes/no attribute."""
    values = value if isinstance(value, list) else [value]
    if any(isinstance(v, float) and not math.isfinite(v) for v in values):
        return [".value: numbers must be finite"]
    if attribute in NUMERIC_ATTRIBUTES:
        numbers = [as_number(v) for v in values]
        if any(n is None for n in numbers):
            return [f".value: {attribute} is a number"]
        low, high = numeric_range(attribute)
        if any(not low <= n <= high for n in numbers):
            return [f".value: {attribute} holds numbers from {low:,} to {high:,}"]
    if attribute in BOOLEAN_ATTRIBUTES and any(as_boolean(v) is None for v in values):
        return [f".value: {attribute} is yes or no (true/false)"]
    return []


def numeric_range(attribute: str) -> tuple[Decimal, Decimal]:
    """The lowest and highest value the column of a numeric attribute holds, the same on every database."""
    field = Account._meta.get_field(attribute)
    if isinstance(field, DecimalField):
        step = Decimal(1).scaleb(-field.decimal_places)
        top = Decimal(10) ** (field.max_digits - field.decimal_places) - step
        return -top, top
    low, high = BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()]
    return Decimal(low), Decimal(high)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_scalar(value: Any) -> bool:
    return value is not None and not isinstance(value, (list, dict))
