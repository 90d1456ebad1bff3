"""What every serializer of the API shares: the model's own rules, asked of the model.

A ModelSerializer already takes each field's validators, bounds, choices and max_length from the model field.
`ModelRulesMixin` adds what lives on the model rather than on one field: `clean()` (rules across fields, e.g. a
deal closing before it opens) and the named CheckConstraints, so a write the database would refuse answers 400
with the rule's message, never 500. `model_field` gives a hand-declared field of a plain Serializer the same
derivation from the model field."""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import serializers
from rest_framework.fields import get_error_detail


class ModelRulesMixin:
    """For a ModelSerializer: validate the would-be row with the model's clean() and CheckConstraints."""

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
