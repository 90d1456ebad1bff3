"""The one-step "log a touch" form used on Today and on the account page.

Only the shape of the input is checked here, with the choices of the Touch model's fields; the rules (dates,
roles, duplicates) live in contacts.services.touch_log, whose ValidationErrors the view shows next to the fields."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.timeutil import business_zone

from .models import Touch

# A touch may be logged a few minutes "in the future": the rep's clock and the server's differ a little.
FUTURE_SLACK = dt.timedelta(minutes=5)
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def business_now_local() -> str:
    """Now, as the date-and-time input shows it: business-zone wall time (docs/rules.md §1; a request's current
    time zone is the business zone, core.middleware)."""
    return timezone.localtime().strftime(LOCAL_FORMAT)


class BusinessDateTimeField(forms.DateTimeField):
    """A date and time typed as business-zone wall time (an offset given is kept); empty means now."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local", "step": 60}, format=LOCAL_FORMAT)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            parsed = value
        else:
            try:
                parsed = dt.datetime.fromisoformat(str(value).strip())
            except ValueError:
                raise forms.ValidationError(_("Enter a date and time, e.g. 2026-07-20 14:30."), code="invalid")
        return parsed.replace(tzinfo=business_zone()) if parsed.tzinfo is None else parsed


def _choices(name: str, *, blank: bool = False) -> list[tuple[str, str]]:
    choices = list(Touch._meta.get_field(name).choices)
    return [("", "—"), *choices] if blank else choices


class TouchLogForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=_choices("kind"))
    # When it happened (a rep logs yesterday's visit today); empty: now. Not later than a few minutes from now.
    occurred_at = BusinessDateTimeField(label=_("When"), required=False, initial=business_now_local)
    channel = forms.ChoiceField(label=_("Channel"), choices=_choices("channel", blank=True), required=False)
    content_stage = forms.ChoiceField(label=_("Content stage"), choices=_choices("content_stage", blank=True),
                                      required=False)
    # The note's length is this form's (a one-line input); the model's text field has none.
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.TextInput)
    # Empty: the signed-in user performed it. Naming someone else is for managers and admins (docs/permissions.md,
    # touches): contacts.services.touch_log refuses it for a rep, and the view shows why next to this field.
    performer = forms.CharField(label=_("Performed by"), required=False, max_length=150,
                                widget=forms.TextInput(attrs={"placeholder": _("you"), "size": 10}),
                                help_text=_("Username; empty: you. Managers and admins may name someone else."))

    def clean_occurred_at(self):
        value = self.cleaned_data.get("occurred_at")
        if value is not None and value > timezone.now() + FUTURE_SLACK:
            raise forms.ValidationError(_("A touch cannot be logged in the future: enter when it happened."),
                                        code="future")
        return value

    def clean_performer(self):
        from core.models import User

        username = (self.cleaned_data.get("performer") or "").strip()
        if not username:
            return None
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("Unknown user: '%(value)s'.") % {"value": username})
        return user
