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
    # Empty: the signed-in user performed it. Naming someone else is for managers and admins (docs/permissions.md,
    # touches): contacts.services.touch_log refuses it for a rep, and the view shows why next to this field.
    performer = forms.CharField(label=_("Performed by"), required=False, max_length=150,
                                widget=forms.TextInput(attrs={"placeholder": _("you"), "size": 10}),
                                help_text=_("Username; empty: you. Managers and admins may name someone else."))

    def clean_performer(self):
        from core.models import User

        username = (self.cleaned_data.get("performer") or "").strip()
        if not username:
            return None
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("Unknown user: '%(value)s'.") % {"value": username})
        return user
