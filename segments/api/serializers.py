from rest_framework import serializers

from core.api.serializers import ModelRulesMixin
from segments.models import Segment, StateThresholds
from segments.services import THRESHOLD_FIELDS


class SegmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Segment
        fields = ["code", "order", "name_en", "name_ja", "purpose_en", "purpose_ja"]


class ThresholdsSerializer(ModelRulesMixin, serializers.ModelSerializer):
    """The state rules' thresholds; each one's range is the model field's (segments.models)."""

    class Meta:
        model = StateThresholds
        fields = list(THRESHOLD_FIELDS) + ["updated_at"]
