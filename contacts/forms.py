"""The one-step "log a touch" form used on Today and on the account page.

Only the shape of the input is checked here; the rules (dates, roles, duplicates) live in
contacts.services.touch_log, whose ValidationErrors the view shows next to the fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.choices import Channel, ContentStage, TouchKind


class TouchLogForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=TouchKind.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", "—"), *Channel.choices], required=False)
    content_stage = forms.ChoiceField(label=_("Content stage"), choices=[("", "—"), *ContentStage.choices], required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.TextInput)
