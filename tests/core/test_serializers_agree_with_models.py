"""Every serializer field of the API that takes a model field's value agrees with that model field: the same
max_length, the same choices, the same min/max, the model's own validators, and required / allow_null /
allow_blank as the field's null, blank and default say. A field declared by hand that restates a rule and
drifts from the model shows up here.

A plain Serializer joins the check by naming its model (`Meta.model`); a field deliberately looser than its
model field (say, filled in by the service when empty) is named in `Meta.looser_than_model` with the reason."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from rest_framework import serializers

from core.validators import field_bounds, tightest_bounds
from standards.models import Requirement

ROOT = Path(settings.BASE_DIR).resolve()


def project_apps() -> list[str]:
    return [config.name for config in apps.get_app_configs()
            if ROOT in Path(config.path).resolve().parents and ".venv" not in Path(config.path).parts]


def project_serializers() -> list[type[serializers.BaseSerializer]]:
    """Every serializer class defined in an app's api package (serializers, views and anything beside them)."""
    names = project_apps()
    for name in names:
        try:
            package = importlib.import_module(f"{name}.api")
        except ModuleNotFoundError:
            continue
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{name}.api.{module.name}")
    found, pending = [], [serializers.BaseSerializer]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls.__module__.split(".")[0] in names:
            found.append(cls)
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__qualname__}")


def own_validators(model_field: models.Field) -> list:
    """The model field's validators written in this project (Django's built-in ones DRF maps to its own)."""
    project = set(project_apps())
    return [v for v in model_field.validators if str(getattr(v, "__module__", "")).split(".")[0] in project]


def field_disagreements(where: str, field: serializers.Field, model_field: models.Field, *, looser: bool) -> list[str]:
    found = []
    model_choices = {value for value, _label in model_field.flatchoices} - {""} if model_field.choices else None
    if model_choices is not None:
        choices = set(getattr(field, "choices", None) or ()) - {""}
        if choices != model_choices:
            found.append(f"{where}: choices {sorted(choices)} but the model's are {sorted(model_choices)}")
    elif isinstance(field, serializers.CharField) and getattr(model_field, "max_length", None) is not None:
        if field.max_length != model_field.max_length:
            found.append(f"{where}: max_length {field.max_length} but the model's is {model_field.max_length}")
    model = model_field.model
    if tightest_bounds(field) != field_bounds(model, model_field.name):
        found.append(f"{where}: bounds {tightest_bounds(field)} but the model's are {field_bounds(model, model_field.name)}")
    missing = [v for v in own_validators(model_field) if v not in field.validators]
    if missing:
        found.append(f"{where}: lacks the model's validators {missing}")
    needs_value = not (model_field.has_default() or model_field.blank or model_field.null)
    if field.required != needs_value and not (looser and not field.required):
        found.append(f"{where}: required={field.required} but the model field {'needs' if needs_value else 'does not need'} a value")
    if field.allow_null != model_field.null and not (looser and field.allow_null):
        found.append(f"{where}: allow_null={field.allow_null} but the model's null={model_field.null}")
    allow_blank = getattr(field, "allow_blank", None)
    if allow_blank is not None and allow_blank != model_field.blank and not (looser and allow_blank):
        found.append(f"{where}: allow_blank={allow_blank} but the model's blank={model_field.blank}")
    return found


def disagreements(serializer_class: type[serializers.BaseSerializer]) -> list[str]:
    """How the writable fields of a serializer bound to a model disagree with their model fields."""
    meta = getattr(serializer_class, "Meta", None)
    model = getattr(meta, "model", None)
    if model is None:
        return []
    looser = getattr(meta, "looser_than_model", {})
    found = []
    for name, field in serializer_class().fields.items():
        if field.read_only or field.source == "*" or "." in field.source:
            continue
        try:
            model_field = model._meta.get_field(field.source)
        except FieldDoesNotExist:
            continue
        if not model_field.concrete or isinstance(field, serializers.BaseSerializer):
            continue
        found += field_disagreements(f"{serializer_class.__name__}.{name}", field, model_field,
                                     looser=name in looser)
    return found


def test_the_api_has_serializers_bound_to_models():
    bound = [cls for cls in project_serializers() if getattr(getattr(cls, "Meta", None), "model", None)]
    names = {cls.__name__ for cls in bound}
    assert {"RequirementSerializer", "ThresholdsSerializer", "HandoffRuleSerializer", "TouchInputSerializer",
            "AccountSerializer", "OpportunitySerializer"} <= names


@pytest.mark.parametrize("serializer_class", project_serializers(), ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_serializer_fields_agree_with_their_model_fields(serializer_class):
    assert disagreements(serializer_class) == []


def test_a_serializer_that_restates_a_rule_differently_is_reported():
    class DriftingRequirementSerializer(serializers.ModelSerializer):
        code = serializers.CharField(max_length=99)
        kind = serializers.CharField(max_length=10)  # free text where the model has choices
        window_days = serializers.IntegerField(min_value=1)  # the model's maximum forgotten
        min_count = serializers.IntegerField(min_value=1, max_value=1000, required=False, allow_null=True)
        performer_roles = serializers.JSONField(required=False)  # without the model's list-of-roles validator

        class Meta:
            model = Requirement
            fields = ["code", "kind", "window_days", "min_count", "performer_roles", "responsible_role"]

    found = "\n".join(disagreements(DriftingRequirementSerializer))
    assert "DriftingRequirementSerializer.code: max_length 99 but the model's is 40" in found
    assert "DriftingRequirementSerializer.kind: choices [] but the model's are ['digital', 'human']" in found
    assert "DriftingRequirementSerializer.window_days: bounds {'min_value': 1} but the model's are " \
           "{'min_value': 1, 'max_value': 3650}" in found
    assert "DriftingRequirementSerializer.min_count: required=False but the model field needs a value" in found
    assert "DriftingRequirementSerializer.min_count: allow_null=True but the model's null=False" in found
    assert "DriftingRequirementSerializer.performer_roles: lacks the model's validators" in found
    assert "responsible_role" not in found  # derived from the model: it agrees


def test_a_field_named_looser_than_its_model_may_be_optional_but_keeps_the_choices():
    class LooserRequirementSerializer(serializers.ModelSerializer):
        kind = serializers.ChoiceField(choices=["human"], required=False)

        class Meta:
            model = Requirement
            fields = ["kind"]
            looser_than_model = {"kind": "filled in by the service"}

    assert disagreements(LooserRequirementSerializer) == [
        "LooserRequirementSerializer.kind: choices ['human'] but the model's are ['digital', 'human']"
    ]
