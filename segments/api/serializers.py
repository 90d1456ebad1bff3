from rest_framework import serializers

from core.api.serializers import ModelRulesMixin, StrictJsonTypesMixin
from segments.models import Segment, StateThresholds, ThresholdPreviewJob
from segments.services import THRESHOLD_FIELDS
from segments.threshold_preview import threshold_preview_error


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


class ThresholdPreviewRequestSerializer(StrictJsonTypesMixin, serializers.ModelSerializer):
    """The thresholds to preview; each one left out is taken as saved. Each one's range is the model field's."""

    class Meta:
        model = StateThresholds
        fields = list(THRESHOLD_FIELDS)
        extra_kwargs = {field: {"required": False} for field in THRESHOLD_FIELDS}


class ThresholdPreviewJobSerializer(serializers.ModelSerializer):
    """A threshold preview: its state, progress (0–100) and, once done, its result (docs/api.md §5)."""

    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    error = serializers.SerializerMethodField(help_text="Why it failed, in the request's language; empty otherwise.")

    class Meta:
        model = ThresholdPreviewJob
        fields = ["id", "status", "progress", "requested_by", "created_at", "finished_at", "proposal",
                  "thresholds_version", "result", "error"]
        read_only_fields = fields

    def get_error(self, job: ThresholdPreviewJob) -> str:
        return threshold_preview_error(job) if job.status == ThresholdPreviewJob.Status.FAILED else ""
