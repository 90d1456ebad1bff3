"""The handoff rules editor's and the business calendar's forms (every field and rule is the models': HandoffRule,
core.BusinessSettings, core.ClosedDay), and the inbox's forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.choices import State
from core.models import BusinessSettings, ClosedDay, User
from core.validators import bounded_formfield

from .models import Handoff, HandoffModel, HandoffRule

# The models in words, shown beside the choice (docs/rules.md §8).
MODEL_HELP = {
    HandoffModel.BATON: _("Baton relay: ownership passes to the receiver; the sender steps off the account."),
    HandoffModel.THREE_LEGGED: _("Three-legged: the receiver leads the account and the sender stays on it as "
                                 "supporting owner until the next accepted handoff."),
}


class HandoffRuleForm(forms.ModelForm):
    # from_states is a list of states: a multiple choice of the model's states (empty: any), checked by its validator.
    from_states = forms.MultipleChoiceField(
        label=_("From states"), choices=State.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: a transition from any state."))
    # The version the editor opened (hidden): a save over someone else's is refused (docs/api.md §5).
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    class Meta:
        model = HandoffRule
        fields = ["order", "name", "to_state", "from_states", "from_role", "to_role", "model", "sla_business_hours",
                  "active"]
        formfield_callback = bounded_formfield
        labels = {"order": _("Order"), "name": _("Name"), "to_state": _("To state"), "from_role": _("From role"),
                  "to_role": _("To role"), "model": _("Model"), "sla_business_hours": _("SLA (business hours)"),
                  "active": _("Active")}
        widgets = {"model": forms.RadioSelect}

    def rule_values(self) -> dict:
        """The cleaned values the services take (handoffs.services.RULE_FIELDS)."""
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class RuleMoveForm(forms.Form):
    """One click moves a rule one place (handoffs.services.handoff_rule_move), against the versions on the page."""

    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))])
    version = forms.IntegerField(min_value=1, required=False)
    neighbour = forms.IntegerField(min_value=1, required=False)
    neighbour_version = forms.IntegerField(min_value=1, required=False)

    def expected_neighbour(self) -> tuple[int, int] | None:
        data = self.cleaned_data
        if data.get("neighbour") and data.get("neighbour_version"):
            return data["neighbour"], data["neighbour_version"]
        return None


WEEKDAYS = [(1, _("Monday")), (2, _("Tuesday")), (3, _("Wednesday")), (4, _("Thursday")), (5, _("Friday")),
            (6, _("Saturday")), (7, _("Sunday"))]


class CalendarSettingsForm(forms.ModelForm):
    """The business calendar's hours, working weekdays and Japanese holidays (core.BusinessSettings; its clean()
    refuses a day ending before it starts and no working weekday, naming the field)."""

    working_weekdays = forms.TypedMultipleChoiceField(
        label=_("Working weekdays"), choices=WEEKDAYS, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    class Meta:
        model = BusinessSettings
        fields = ["workday_start", "workday_end", "working_weekdays", "japanese_holidays_off"]
        labels = {"workday_start": _("Business day starts"), "workday_end": _("Business day ends"),
                  "japanese_holidays_off": _("Japanese public holidays are off")}
        widgets = {"workday_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "workday_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def settings_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class ClosedDayForm(forms.ModelForm):
    """An extra closed day: a date and its name (core.ClosedDay)."""

    class Meta:
        model = ClosedDay
        fields = ["date", "name"]
        labels = {"date": _("Date"), "name": _("Name")}
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def validate_unique(self):
        """The service refuses a day already closed, naming the date (core.settings_services.closed_day_add)."""


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
