"""What every serializer of the API shares: the model's own rules, asked of the model.

A ModelSerializer already takes each field's validators, bounds, choices and max_length from the model field.
`ModelRulesMixin` adds what lives on the model rather than on one field: `clean()` (rules across fields, e.g. a
deal closing before it opens) and the named CheckConstraints, so a write the database would refuse answers 400
with the rule's message, never 500. `model_field` gives a hand-declared field of a plain Serializer the same
derivation from the model field."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import QueryDict
from rest_framework import serializers
from rest_framework.fields import get_error_detail


# The JSON type each kind of field takes, as the schema documents it. DRF itself is lenient (a number for a text
# field, "1" for a whole number, "yes" for a boolean); the API takes what it documents and refuses the rest.
JSON_TYPES: tuple[tuple[type[serializers.Field], tuple[type, ...], str], ...] = (
    (serializers.BooleanField, (bool,), "true or false"),
    (serializers.IntegerField, (int,), "a whole number"),
    (serializers.CharField, (str,), "text"),
    (serializers.ChoiceField, (str,), "one of the choices, as text"),
    (serializers.DateField, (str,), "a date, as text (YYYY-MM-DD)"),
)


def refuse_other_json_types(serializer: serializers.Serializer, data: Any) -> None:
    """400 for a writable field given a JSON value of another type than its own (null stays for the field to
    judge)."""
    if not isinstance(data, Mapping) or isinstance(data, QueryDict):  # a form's values are all text
        return
    errors = {}
    for name, field in serializer.fields.items():
        if field.read_only or name not in data or data[name] is None:
            continue
        value = data[name]
        for field_class, types, wanted in JSON_TYPES:
            if isinstance(field, field_class):
                whole = isinstance(value, float) and value.is_integer() and int in types  # JSON's 5.0 is 5
                if not (isinstance(value, types) or whole) or (bool not in types and isinstance(value, bool)):
                    errors[name] = [f"Give {wanted}."]
                break
    if errors:
        raise serializers.ValidationError(errors)


class StrictJsonTypesMixin:
    """For any Serializer: each field takes only the JSON type the schema gives it (refuse_other_json_types)."""

    def to_internal_value(self, data):
        refuse_other_json_types(self, data)
        return super().to_internal_value(data)


class ModelRulesMixin(StrictJsonTypesMixin):
    """For a ModelSerializer: validate the would-be row with the model's clean() and CheckConstraints (and take
    only the documented JSON types, StrictJsonTypesMixin)."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        model = self.Meta.model
        instance = copy.copy(self.instance) if isinstance(self.instance, models.Model) else model()
        concrete = {f.name for f in model._meta.concrete_fields}
        for name, value in attrs.items():
            if name in concrete:
                setattr(instance, name, value)
        try:
            instance.clean()
            for constraint in model._meta.constraints:
                if isinstance(constraint, models.CheckConstraint):
                    constraint.validate(model, instance)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(get_error_detail(exc)) from exc
        return attrs


def model_field(model: type[models.Model], name: str, **overrides: Any) -> serializers.Field:
    """The serializer field a ModelSerializer would build for `model.name` (choices, max_length, bounds,
    validators, required/allow_null/allow_blank), with `overrides` for what a plain Serializer does differently."""
    builder = serializers.ModelSerializer()
    field_class, kwargs = builder.build_standard_field(name, model._meta.get_field(name))
    kwargs.update(overrides)
    return field_class(**kwargs)
