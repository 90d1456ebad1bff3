"""The one-step "log a touch" form used on Today and on the account page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.choices import Channel, ContentStage, TouchKind


class TouchLogForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=TouchKind.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", "—"), *Channel.choices], required=False)
    content_stage = forms.ChoiceField(label=_("Content stage"), choices=[("", "—"), *ContentStage.choices], required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.TextInput)

    # Channels that are digital by nature: choosing one with kind=human is almost always a slip.
    DIGITAL_CHANNELS = frozenset({Channel.NEWSLETTER, Channel.WEB_VISIT, Channel.AD})

    def clean(self):
        data = super().clean()
        if data.get("kind") == TouchKind.HUMAN and data.get("channel") in self.DIGITAL_CHANNELS:
            self.add_error("channel", _("A human touch cannot be made through this channel; choose kind “digital” or another channel."))
        return data
