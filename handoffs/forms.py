"""The handoff rules page's form: every field and rule is HandoffRule's (handoffs.models)."""

from __future__ import annotations

from django import forms

from core.validators import bounded_formfield

from .models import HandoffRule


class HandoffRuleForm(forms.ModelForm):
    # from_states is a list of states: a multiple choice of the model's states (empty: any), checked by its validator.
    from_states = forms.MultipleChoiceField(choices=HandoffRule._meta.get_field("to_state").choices, required=False)

    class Meta:
        model = HandoffRule
        fields = ["order", "name", "to_state", "from_states", "from_role", "to_role", "model", "sla_business_hours",
                  "active"]
        formfield_callback = bounded_formfield
