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
        fields = list(THRESHOLD_FIELDS) + ["version", "updated_at"]
        # The version is the service's to raise; a PATCH may send the one it read (docs/api.md §5).
        read_only_fields = ["version", "updated_at"]
