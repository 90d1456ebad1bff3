from rest_framework import serializers

from core.api.serializers import ModelRulesMixin, StrictJsonTypesMixin
from handoffs.models import Handoff, HandoffRule


class HandoffRuleSerializer(ModelRulesMixin, serializers.ModelSerializer):
    """A handoff rule; the SLA's bounds and the from-states' choices are the model's (handoffs.models)."""

    class Meta:
        model = HandoffRule
        fields = ["id", "order", "name", "to_state", "from_states", "from_role", "to_role", "model", "sla_business_hours",
                  "active", "version"]
        # The version is the service's to raise; a write may send the one it read (docs/api.md §5).
        read_only_fields = ["version"]


class HandoffSerializer(serializers.ModelSerializer):
    account_external_id = serializers.CharField(source="account.external_id", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Handoff
        fields = ["id", "account", "account_external_id", "rule_name", "from_state", "to_state", "from_role", "to_role",
                  "model", "created_on", "status", "assignee", "due_at", "sla_breached", "reason", "comment", "decided_at"]


class RejectSerializer(StrictJsonTypesMixin, serializers.Serializer):
    reason = serializers.ChoiceField(choices=Handoff._meta.get_field("reason").choices)
    comment = serializers.CharField(required=False, allow_blank=True)
