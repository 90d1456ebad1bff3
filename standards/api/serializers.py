from rest_framework import serializers

from core.api.serializers import ModelRulesMixin
from standards.models import Requirement, Standard


class RequirementSerializer(ModelRulesMixin, serializers.ModelSerializer):
    """A requirement as PUT standards/STATE/ takes it; bounds and choices are the model's (standards.models)."""

    class Meta:
        model = Requirement
        fields = ["code", "kind", "min_count", "window_days", "responsible_role", "performer_roles"]
        extra_kwargs = {"code": {"validators": []}}


class StandardSerializer(ModelRulesMixin, serializers.ModelSerializer):
    requirements = RequirementSerializer(many=True)

    class Meta:
        model = Standard
        fields = ["id", "state", "purpose", "owner_role", "version", "updated_at", "requirements"]
        read_only_fields = ["state", "version", "updated_at"]
