"""Forms of the alert pages: snooze one alert, reassign many (the managers' list filters with engine.filtersets)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import Alert


class SnoozeForm(forms.Form):
    until = forms.DateField(label=_("Snooze until"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_until(self) -> dt.date:
        until = self.cleaned_data["until"]
        if until <= self.today:
            raise forms.ValidationError(_("Choose a date after today (%(today)s).") % {"today": self.today.isoformat()})
        return until


class ReassignForm(forms.Form):
    alerts = forms.ModelMultipleChoiceField(
        label=_("Alerts"), queryset=Alert.objects.filter(status=Alert.Status.OPEN),
        error_messages={"required": _("Select at least one alert."),
                        "invalid_choice": _("Alert %(value)s is not open any more; reload the page.")},
    )
    assignee = forms.ModelChoiceField(
        label=_("New assignee"), queryset=get_user_model().objects.filter(is_active=True),
        error_messages={"required": _("Choose the new assignee.")},
    )
