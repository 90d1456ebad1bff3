from django import forms
from django.utils.translation import gettext_lazy as _

from core.choices import Role
from core.validators import bounded_formfield

from .models import Requirement


class RequirementForm(forms.ModelForm):
    """One row of the standards editor. Lengths, bounds (also the inputs' min and max) and the model's other rules
    come from Requirement (standards.models); only the widgets are this page's."""

    # Declared for their widgets (a select without an empty option; several roles at once); choices are the model's.
    kind = forms.ChoiceField(label=_("Kind"), choices=Requirement._meta.get_field("kind").choices)
    responsible_role = forms.ChoiceField(label=_("Responsible role"),
                                         choices=Requirement._meta.get_field("responsible_role").choices)
    performer_roles = forms.MultipleChoiceField(label=_("Counts touches by"), choices=Role.choices, required=False,
                                                widget=forms.SelectMultiple(attrs={"size": 3}),
                                                help_text=_("Empty: any role."))

    class Meta:
        model = Requirement
        fields = ["code", "kind", "min_count", "window_days", "responsible_role", "performer_roles"]
        labels = {"code": _("Code"), "min_count": _("Minimum touches"), "window_days": _("Window (days)")}
        formfield_callback = bounded_formfield

    def has_changed(self) -> bool:
        # The blank row's selects always post a value; a row without a code is an unused blank row.
        return bool((self.data.get(self.add_prefix("code")) or "").strip())


class BaseRequirementFormSet(forms.BaseFormSet):
    def clean(self):
        codes = set()
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            code = form.cleaned_data.get("code")
            if code in codes:
                form.add_error("code", _("This code is used twice in this standard."))
            codes.add(code)

    def requirements(self) -> list[dict]:
        return [
            {k: v for k, v in form.cleaned_data.items() if k != "DELETE"}
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


RequirementFormSet = forms.formset_factory(RequirementForm, formset=BaseRequirementFormSet, extra=1, can_delete=True)
