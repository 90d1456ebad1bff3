from django import forms
from django.utils.translation import gettext_lazy as _

from core.choices import Role, TouchKind


class RequirementForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    kind = forms.ChoiceField(label=_("Kind"), choices=TouchKind.choices)
    min_count = forms.IntegerField(label=_("Minimum touches"), min_value=1)
    window_days = forms.IntegerField(label=_("Window (days)"), min_value=1)
    responsible_role = forms.ChoiceField(label=_("Responsible role"), choices=Role.choices)
    performer_roles = forms.MultipleChoiceField(label=_("Counts touches by"), choices=Role.choices, required=False,
                                                widget=forms.SelectMultiple(attrs={"size": 3}),
                                                help_text=_("Empty: any role."))

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
