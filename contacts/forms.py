"""The one-step "log a touch" form used on Today and on the account page.

Only the shape of the input is checked here, with the choices of the Touch model's fields; the rules (dates,
roles, duplicates) live in contacts.services.touch_log, whose ValidationErrors the view shows next to the fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Touch


def _choices(name: str, *, blank: bool = False) -> list[tuple[str, str]]:
    choices = list(Touch._meta.get_field(name).choices)
    return [("", "—"), *choices] if blank else choices


class TouchLogForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=_choices("kind"))
    channel = forms.ChoiceField(label=_("Channel"), choices=_choices("channel", blank=True), required=False)
    content_stage = forms.ChoiceField(label=_("Content stage"), choices=_choices("content_stage", blank=True),
                                      required=False)
    # The note's length is this form's (a one-line input); the model's text field has none.
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.TextInput)
