from django import forms

from .models import StateThresholds
from .services import THRESHOLD_FIELDS


class ThresholdsForm(forms.ModelForm):
    class Meta:
        model = StateThresholds
        fields = list(THRESHOLD_FIELDS)

    def clean(self):
        data = super().clean()
        for field in ("hot_lead_min_score", "high_potential_min_fit"):
            if data.get(field) is not None and data[field] > 100:
                self.add_error(field, "0–100")
        for field in ("churn_after_days", "onboarding_days", "loyal_min_tenure_days", "loyal_min_won_deals"):
            if data.get(field) is not None and data[field] < 1:
                self.add_error(field, "≥ 1")
        return data
