"""Forms of the profile editor: the profile's own fields, one form per criterion, and the JSON import.

The forms turn what a person types (comma-separated lists, low/high) into the criterion JSON of
docs/api.md §3; the rules themselves stay in validation.profile_input, whose messages are mapped
back onto the row and field they name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Account

from .models import IcpProfile
from .scoring import (
    ATTRIBUTES, BOOLEAN_ATTRIBUTES, LIST_VALUE_OPS, NO_VALUE_OPS, NUMERIC_ATTRIBUTES, NUMERIC_OPS, OPERATORS,
    as_boolean, as_number,
)
from .validation import MAX_COMMENT_LENGTH, MAX_NAME_LENGTH, MAX_TIER, MAX_WEIGHT, MIN_TIER, MIN_WEIGHT

IMPORT_MAX_BYTES = 1 << 20

OPERATOR_LABELS: dict[str, Any] = {
    "eq": _("equals"), "ne": _("does not equal"), "in": _("is one of"), "not_in": _("is none of"),
    "gt": _("greater than"), "gte": _("at least"), "lt": _("less than"), "lte": _("at most"),
    "between": _("between (inclusive)"), "is_true": _("is yes"), "is_false": _("is no"),
    "contains": _("contains"), "contains_any": _("contains any of"),
}


def _attribute_label(name: str) -> str:
    return str(Account._meta.get_field(name).verbose_name)


attribute_label = lazy(_attribute_label, str)
ATTRIBUTE_CHOICES = [("", "—")] + [(a, attribute_label(a)) for a in ATTRIBUTES]
OPERATOR_CHOICES = [("", "—")] + [(op, OPERATOR_LABELS[op]) for op in OPERATORS]

_LIST_SEPARATORS = re.compile(r"[,、，\n]")


def _json_number(text: str) -> int | float | None:
    number = as_number(text)
    if number is None or not number.is_finite():
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | Decimal) and value == int(value):
        return str(int(value))
    return "" if value is None else str(value)


def criterion_initial(criterion: Mapping) -> dict:
    """A stored criterion as the editor shows it: lists comma-separated, between as low and high."""
    op, value = criterion.get("op"), criterion.get("value")
    initial = {"attribute": criterion.get("attribute"), "op": op, "weight": criterion.get("weight", 1),
               "value": "", "value_high": ""}
    if op == "between" and isinstance(value, list | tuple) and len(value) == 2:
        initial["value"], initial["value_high"] = _shown(value[0]), _shown(value[1])
    elif isinstance(value, list | tuple):
        initial["value"] = ", ".join(_shown(v) for v in value)
    else:
        initial["value"] = _shown(value)
    return initial


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=MAX_NAME_LENGTH)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    tier_a = forms.IntegerField(label=_("Tier A from fit"), min_value=MIN_TIER, max_value=MAX_TIER, initial=80)
    tier_b = forms.IntegerField(label=_("Tier B from fit"), min_value=MIN_TIER, max_value=MAX_TIER, initial=50)
    comment = forms.CharField(label=_("Comment for the version history"), max_length=MAX_COMMENT_LENGTH, required=False)
    # The version number the editor was opened at: the save is checked against it (profiles.services.profile_save).
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, profile: IcpProfile | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.profile = profile
        if profile is not None:
            # Versions belong to the profile by name: renaming would start a different profile.
            self.fields["name"].disabled = True
            self.fields["name"].initial = profile.name
            self.fields["name"].help_text = _("The name identifies the profile and cannot be changed.")

    def clean_name(self) -> str:
        name = (self.cleaned_data.get("name") or "").strip()
        if not name:
            raise ValidationError(_("A profile needs a name."))
        if self.profile is None and IcpProfile.objects.filter(name=name).exists():
            raise ValidationError(_("A profile with this name already exists: edit it instead."))
        return name

    def clean(self):
        data = super().clean()
        a, b = data.get("tier_a"), data.get("tier_b")
        if a is not None and b is not None and a < b:  # equal cut-offs: refused by validation.validate_tiers
            self.add_error("tier_b", _("Tier B's cut-off cannot be above tier A's."))
        return data

    def tiers(self) -> dict[str, int]:
        return {"A": self.cleaned_data["tier_a"], "B": self.cleaned_data["tier_b"]}


class CriterionForm(forms.Form):
    attribute = forms.ChoiceField(label=_("Attribute"), choices=ATTRIBUTE_CHOICES)
    op = forms.ChoiceField(label=_("Operator"), choices=OPERATOR_CHOICES)
    value = forms.CharField(label=_("Value"), required=False, max_length=2000)
    value_high = forms.CharField(label=_("High (between)"), required=False, max_length=100,
                                 widget=forms.TextInput(attrs={"style": "width:7em"}))
    weight = forms.IntegerField(label=_("Weight"), min_value=MIN_WEIGHT, max_value=MAX_WEIGHT,
                                widget=forms.NumberInput(attrs={"style": "width:6em"}))

    def has_changed(self) -> bool:
        # The blank row posts empty selects; a row without an attribute is an unused blank row.
        return bool((self.data.get(self.add_prefix("attribute")) or "").strip())

    def clean(self):
        data = super().clean()
        attribute, op = data.get("attribute"), data.get("op")
        if not attribute or not op:
            return data
        raw, high = (data.get("value") or "").strip(), (data.get("value_high") or "").strip()
        numeric = attribute in NUMERIC_ATTRIBUTES
        value: Any = None
        if op in NO_VALUE_OPS:
            value = None
        elif op in LIST_VALUE_OPS:
            items = [item.strip() for item in _LIST_SEPARATORS.split(raw) if item.strip()]
            if not items:
                self.add_error("value", _("List one or more values, separated by commas."))
            elif numeric:
                value = [_json_number(item) for item in items]
                if None in value:
                    self.add_error("value", _("Every value must be a number."))
            else:
                value = items
        elif op == "between":
            low, top = _json_number(raw), _json_number(high)
            if low is None:
                self.add_error("value", _("Enter the low end as a number."))
            if top is None:
                self.add_error("value_high", _("Enter the high end as a number."))
            if low is not None and top is not None and low > top:
                self.add_error("value_high", _("The high end must not be below the low end."))
            value = [low, top]
        elif op in NUMERIC_OPS or numeric:
            value = _json_number(raw)
            if value is None:
                self.add_error("value", _("Enter a number."))
        elif attribute in BOOLEAN_ATTRIBUTES:
            value = as_boolean(raw)
            if value is None:
                self.add_error("value", _("Enter true or false."))
        else:
            value = raw
            if not raw:
                self.add_error("value", _("Enter a value."))
        data["criterion"] = {"attribute": attribute, "op": op, "value": value, "weight": data.get("weight")}
        return data


class BaseCriterionFormSet(forms.BaseFormSet):
    def kept_forms(self) -> list[CriterionForm]:
        return [f for f in self.forms
                if f.has_changed() and not (self.can_delete and self._should_delete_form(f))]

    def criteria(self) -> list[dict]:
        return [dict(f.cleaned_data["criterion"]) for f in self.kept_forms() if "criterion" in f.cleaned_data]

    def add_service_errors(self, messages: list[str]) -> None:
        """Put "criteria[i].field: message" from validate_criteria next to that row's field."""
        kept = self.kept_forms()
        for message in messages:
            match = re.match(r"criteria\[(\d+)\](?:\.(\w+))?: (.*)", message)
            if match and int(match.group(1)) < len(kept):
                field = match.group(2) if match.group(2) in CriterionForm.base_fields else None
                kept[int(match.group(1))].add_error(field, match.group(3))
            else:
                self._non_form_errors.append(str(_("Add at least one criterion.")) if "non-empty list" in message
                                             else message)


CriterionFormSet = forms.formset_factory(CriterionForm, formset=BaseCriterionFormSet, extra=1, can_delete=True,
                                         max_num=200, absolute_max=200, validate_max=True)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("JSON file"), required=False)
    text = forms.CharField(label=_("…or paste the JSON"), required=False, widget=forms.Textarea(attrs={"rows": 8}))

    def clean(self):
        data = super().clean()
        upload, text = data.get("file"), (data.get("text") or "").strip()
        if upload:
            if upload.size > IMPORT_MAX_BYTES:
                raise ValidationError(_("The file is larger than 1 MB."))
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ValidationError(_("The file is not UTF-8 text.")) from None
        if not text:
            raise ValidationError(_("Choose a JSON file or paste the JSON."))
        try:
            data["profile_json"] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(_("Not valid JSON: line %(line)d, column %(column)d: %(message)s") % {
                "line": exc.lineno, "column": exc.colno, "message": exc.msg}) from None
        return data
