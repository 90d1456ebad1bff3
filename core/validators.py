"""Field rules shared by the models, and the bounds every form and serializer reads from them.

A rule lives on the model field (a validator) and, where it must always hold, in a named CheckConstraint beside it.
Forms and serializers never restate a number: they take it from the model field with `field_bounds`. The pure
functions here (`corporate_number_check_digit`, `check_corporate_number`) take no Django objects, so the CSV
importer calls them on its cells too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# --- 法人番号 (corporate number) -------------------------------------------------------------------------------

CORPORATE_NUMBER_LENGTH = 13
CORPORATE_NUMBER_PATTERN = r"^[0-9]{13}$"
_CORPORATE_NUMBER = re.compile(CORPORATE_NUMBER_PATTERN)


class CorporateNumberError(ValueError):
    """Why a text is not a corporate number; `expected_check_digit` is set when only the check digit is wrong."""

    def __init__(self, message: str, *, expected_check_digit: int | None = None) -> None:
        super().__init__(message)
        self.expected_check_digit = expected_check_digit


def corporate_number_check_digit(body12: str) -> int:
    """The check digit of a corporate number's other 12 digits: 9 − (Σ Pn×Qn mod 9), Pn the n-th of them counted
    from the right, Qn 1 for odd n and 2 for even n (e.g. 7000012050002: body 000012050002, check digit 7)."""
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(body12), start=1))
    return 9 - total % 9


def check_corporate_number(text: str) -> str:
    """`text` if it is a corporate number (13 ASCII digits, the first the check digit of the others); raises
    CorporateNumberError otherwise. Pure: callers normalise first (the importer NFKC-normalises its cells)."""
    if not _CORPORATE_NUMBER.fullmatch(text):
        raise CorporateNumberError(f"'{text}' is not a corporate number (13 digits)")
    expected = corporate_number_check_digit(text[1:])
    if int(text[0]) != expected:
        raise CorporateNumberError(f"'{text}' has a wrong check digit (expected {expected})",
                                   expected_check_digit=expected)
    return text


def validate_corporate_number(value: str) -> None:
    """The model field's validator: 13 digits whose first is the check digit of the other 12."""
    try:
        check_corporate_number(value)
    except CorporateNumberError as exc:
        if exc.expected_check_digit is None:
            raise ValidationError(_("Enter a corporate number of 13 digits."), code="corporate_number") from exc
        raise ValidationError(
            _("This corporate number's check digit is wrong (expected %(digit)s)."),
            code="corporate_number_check_digit", params={"digit": exc.expected_check_digit},
        ) from exc


# --- lists of choices held in a JSON field -------------------------------------------------------------------


@deconstructible
class ChoiceListValidator:
    """A JSON list whose every element is one of `choices` (e.g. performer roles, a handoff rule's from-states).

    A value of any other shape would reach the nightly run, which reads these lists as they are stored."""

    def __init__(self, choices: Iterable[str]) -> None:
        self.choices = tuple(choices)

    def __call__(self, value: object) -> None:
        if not isinstance(value, list):
            raise ValidationError(_("Enter a list."), code="not_a_list")
        unknown = [str(v) for v in value if v not in self.choices]
        if unknown:
            raise ValidationError(
                _("Not one of the choices: %(unknown)s. Choose from: %(allowed)s."), code="invalid_choice",
                params={"unknown": ", ".join(unknown), "allowed": ", ".join(self.choices)},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChoiceListValidator) and other.choices == self.choices

    def __hash__(self) -> int:
        return hash(self.choices)


# --- bounds --------------------------------------------------------------------------------------------------


def bounded(low: int | None, high: int | None = None) -> list:
    """The validators of a number field that must lie in [low, high] (either end open when None)."""
    found: list = []
    if low is not None:
        found.append(MinValueValidator(low))
    if high is not None:
        found.append(MaxValueValidator(high))
    return found


def range_condition(field: str, low: int | None, high: int | None = None, *, nullable: bool = False) -> models.Q:
    """The CheckConstraint condition that `field` lies in [low, high] — the database's copy of `bounded`."""
    condition = models.Q()
    if low is not None:
        condition &= models.Q(**{f"{field}__gte": low})
    if high is not None:
        condition &= models.Q(**{f"{field}__lte": high})
    return models.Q(**{f"{field}__isnull": True}) | condition if nullable else condition


def tightest_bounds(field) -> dict[str, int]:
    """{"min_value": …, "max_value": …} of a field — a model field or a form/serializer field — from its Min/Max
    validators and its own min_value/max_value, the tightest bound winning."""
    lows = [v.limit_value for v in field.validators if isinstance(v, MinValueValidator)]
    highs = [v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)]
    if getattr(field, "min_value", None) is not None:
        lows.append(field.min_value)
    if getattr(field, "max_value", None) is not None:
        highs.append(field.max_value)
    bounds = {}
    if lows:
        bounds["min_value"] = max(lows)
    if highs:
        bounds["max_value"] = min(highs)
    return bounds


def field_bounds(model: type[models.Model], name: str) -> dict[str, int]:
    """The bounds of a model field: what a hand-declared form or serializer field passes on, so no bound is
    written twice."""
    return tightest_bounds(model._meta.get_field(name))


def bounded_formfield(field: models.Field, **kwargs):
    """A ModelForm's `formfield_callback`: number inputs carry the model's bounds (and so the page's min/max)."""
    if isinstance(field, (models.IntegerField, models.DecimalField, models.FloatField)):
        bounds = field_bounds(field.model, field.name)
        kwargs = {**bounds, **kwargs}
    return field.formfield(**kwargs)
