from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import User


class UserForm(forms.ModelForm):
    """A person's details as an admin edits them; the username only when creating."""

    class Meta:
        model = User
        fields = ("username", "full_name", "email", "role", "team", "language")
        help_texts = {"team": _("People of one team share their managers; leave empty for none.")}

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        if not creating:
            del self.fields["username"]
