"""The handoff rules page's form: every field and rule is HandoffRule's (handoffs.models)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import User
from core.validators import bounded_formfield

from .models import Handoff, HandoffRule


class HandoffRuleForm(forms.ModelForm):
    # from_states is a list of states: a multiple choice of the model's states (empty: any), checked by its validator.
    from_states = forms.MultipleChoiceField(choices=HandoffRule._meta.get_field("to_state").choices, required=False)

    class Meta:
        model = HandoffRule
        fields = ["order", "name", "to_state", "from_states", "from_role", "to_role", "model", "sla_business_hours",
                  "active"]
        formfield_callback = bounded_formfield


# --- the inbox's forms (handoffs.inbox_views) ------------------------------------------------------------------------

COMMENT_MAX_LENGTH = 2000  # as the API's RejectSerializer


class HandoffRejectForm(forms.Form):
    """A rejection: one of the reason codes of docs/rules.md §8 (required) and a comment."""

    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", "—"), *Handoff.RejectReason.choices],
        error_messages={"required": _("Reason: choose why you reject this handoff."),
                        "invalid_choice": _("Reason: choose one of the reasons listed.")})
    comment = forms.CharField(label=_("Comment"), required=False, max_length=COMMENT_MAX_LENGTH,
                              widget=forms.Textarea(attrs={"rows": 2}))


class HandoffReassignForm(forms.Form):
    """Managers: give a pending handoff to another active person (the service checks the role is the to_role)."""

    assignee = forms.ModelChoiceField(
        label=_("Reassign to"), queryset=User.objects.filter(is_active=True),
        error_messages={"required": _("Reassign to: choose a person."),
                        "invalid_choice": _("Reassign to: choose an active person from the list.")})
