from django import forms

from core.validators import bounded_formfield

from .models import StateThresholds
from .services import THRESHOLD_FIELDS


class ThresholdsForm(forms.ModelForm):
    """The state settings page; each threshold's range is the model field's (segments.models), also as the
    inputs' min and max."""

    class Meta:
        model = StateThresholds
        fields = list(THRESHOLD_FIELDS)
        formfield_callback = bounded_formfield
