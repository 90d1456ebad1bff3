from django import forms

from core.validators import bounded_formfield

from .models import StateThresholds
from .services import THRESHOLD_FIELDS


class ThresholdsForm(forms.ModelForm):
    """The state settings page; each threshold's range is the model field's (segments.models), also as the
    inputs' min and max. `version` is the thresholds' version when the page was opened: the save is checked
    against it (segments.services.thresholds_update; docs/api.md §5)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance is not None:
            self.initial["version"] = self.instance.version

    class Meta:
        model = StateThresholds
        fields = list(THRESHOLD_FIELDS)
        formfield_callback = bounded_formfield
