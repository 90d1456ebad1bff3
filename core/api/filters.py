"""Query parameters that refuse what they cannot read (400 naming the parameter), instead of quietly dropping it.

django-filter's BooleanFilter reads `mine=maybe` as "not given", and DRF's OrderingFilter drops an unknown field:
either way the answer looks filtered or ordered and is not. The filters here are used by the FilterSets the
pages, the API and the exports share, so a page's own values ("unknown" from a yes/no drop-down) stay valid.
"""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

TRUE_VALUES = (True, "true")
FALSE_VALUES = (False, "false")
UNSET_VALUES = (None, "", "unknown")  # "unknown": the page's yes/no drop-down left at "either" (NullBooleanSelect)
MAX_ID = 2**63 - 1  # the widest id column (bigint); beyond it no database can be asked
ID_SCHEMA = {"type": "integer", "minimum": 0, "maximum": MAX_ID}


class StrictNullBooleanSelect(forms.NullBooleanSelect):
    def value_from_datadict(self, data, files, name):
        # The raw value: the field decides, and refuses what it cannot read.
        return data.get(name)


class StrictNullBooleanField(forms.NullBooleanField):
    widget = StrictNullBooleanSelect
    default_error_messages = {"invalid": gettext_lazy("Give true or false.")}

    def to_python(self, value):
        if value in TRUE_VALUES:
            return True
        if value in FALSE_VALUES:
            return False
        if value in UNSET_VALUES:
            return None
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    """true / false, or absent; anything else answers 400."""

    field_class = StrictNullBooleanField


@extend_schema_field(ID_SCHEMA)
class IdFilter(django_filters.NumberFilter):
    """An object's id: a whole number, else 400. An id that matches nothing selects nothing (an empty list), as
    any other filter value that matches nothing does."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class IdChoiceField(django_filters.fields.ModelChoiceField):
    """A drop-down of objects on a page; in a query string any whole number is taken, and one that is no object's id
    selects nothing, as IdFilter does. Anything else answers 400."""

    default_error_messages = {"invalid_choice": gettext_lazy("Give an id (a whole number).")}

    def to_python(self, value):
        if self.null_label is not None and value == self.null_value:
            return value
        if value in self.empty_values:
            return None
        if isinstance(value, str) and value.isascii() and value.isdigit() and int(value) <= MAX_ID:
            return int(value)
        raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")


@extend_schema_field(ID_SCHEMA)
class IdChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = IdChoiceField


class StrictOrderingFilter(OrderingFilter):
    """`?ordering=field` or `-field`, comma-separated, on the fields the view lists in `ordering_fields`; any other
    term answers 400 naming `ordering` and the fields it takes. A view without `ordering_fields` is not ordered by
    the client (the parameter is not read)."""

    def declared_fields(self, view) -> list[str]:
        return list(getattr(view, "ordering_fields", None) or [])

    def pattern(self, view) -> str:
        names = "|".join(re.escape(name) for name in self.declared_fields(view))
        return rf"^(-?({names})(,-?({names}))*)?$"

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        fields = self.declared_fields(view)
        if params is None or not fields:
            return self.get_default_ordering(view)
        if not re.fullmatch(self.pattern(view), params):
            raise ValidationError({self.ordering_param: [
                _("Order by one or more of %(fields)s, comma-separated, each optionally preceded by '-'.")
                % {"fields": ", ".join(fields)}]})
        return params.split(",") if params else self.get_default_ordering(view)

    def get_schema_operation_parameters(self, view):
        fields = self.declared_fields(view)
        if not fields:
            return []
        return [{
            "name": self.ordering_param,
            "required": False,
            "in": "query",
            "description": f"Order by {', '.join(fields)} (prefix '-' for descending; several comma-separated).",
            "schema": {"type": "string", "pattern": self.pattern(view)},
        }]
