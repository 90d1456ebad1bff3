"""The standards table's forms: one requirement cell, one state's purpose and content plan, an import file.

Lengths, bounds and choices come from the models (standards.models); the rules of a whole standard (codes unique,
roles known) are the service's (standards.services.validate_requirements), whose messages the view shows."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.choices import Channel, ContentStage, Role
from core.validators import bounded_formfield

from .models import Requirement, Standard
from .services import COMMENT_LENGTH


def _blank(choices) -> list[tuple[str, str]]:
    return [("", _("— none —")), *choices]


class SaveFields(forms.Form):
    """What every save of the table carries: the version the form was opened at, and the history's comment."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    comment = forms.CharField(label=_("Comment for the history"), required=False, max_length=COMMENT_LENGTH,
                              widget=forms.TextInput(attrs={"size": 40}))


class RequirementCellForm(forms.ModelForm):
    """One requirement, edited in place in the table."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Requirement._meta.get_field("kind").choices)
    responsible_role = forms.ChoiceField(label=_("Responsible role"),
                                         choices=Requirement._meta.get_field("responsible_role").choices)
    performer_roles = forms.MultipleChoiceField(
        label=_("Counted touches by"), choices=Role.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None checked = anyone."))
    content_stage = forms.ChoiceField(label=_("Content stage"), choices=_blank(ContentStage.choices), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=_blank(Channel.choices), required=False)

    class Meta:
        model = Requirement
        fields = ["code", "kind", "min_count", "window_days", "responsible_role", "performer_roles",
                  "content_stage", "channel"]
        labels = {"code": _("Code"), "min_count": _("Minimum touches"), "window_days": _("Window (days)")}
        help_texts = {"code": _("Letters, digits and hyphens; unique in this state.")}
        formfield_callback = bounded_formfield

    def validate_unique(self):
        """Codes are checked against the whole standard by the service, which knows the other rows."""

    def requirement(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class PlanForm(forms.ModelForm):
    """A state's purpose, owner role and content plan."""

    owner_role = forms.ChoiceField(label=_("Owner role"), choices=_blank(Role.choices), required=False)
    content_stages = forms.MultipleChoiceField(label=_("Content stages"), choices=ContentStage.choices,
                                               required=False, widget=forms.CheckboxSelectMultiple)
    channels = forms.MultipleChoiceField(label=_("Recommended channels"), choices=Channel.choices, required=False,
                                         widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Standard
        fields = ["purpose", "owner_role", "content_stages", "channels"]
        labels = {"purpose": _("Purpose")}
        help_texts = {"purpose": _("What this coverage is for: acquire, convert, onboard, retain, expand, win back …")}


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or JSON)"))
    comment = forms.CharField(label=_("Comment for the history"), required=False, max_length=COMMENT_LENGTH)
