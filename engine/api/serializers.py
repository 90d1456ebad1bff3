"""The engine's API shapes: coverage rows as in export_coverage, alerts, and the alert actions' inputs."""

from __future__ import annotations

from rest_framework import serializers

from core.models import User
from engine.models import Alert, CoverageRow


class CoverageRowSerializer(serializers.ModelSerializer):
    account_external_id = serializers.CharField(source="account.external_id")
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = CoverageRow
        fields = ["id", "account", "account_external_id", "state", "requirement", "kind", "min_count", "window_days",
                  "counted", "gap", "status", "last_touch_on", "due_on", "responsible_role", "assignee", "as_of"]


class AlertSerializer(serializers.ModelSerializer):
    account_external_id = serializers.CharField(source="account.external_id")
    account_name = serializers.CharField(source="account.name")
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Alert
        fields = ["id", "account", "account_external_id", "account_name", "state", "requirement", "status", "opened_on",
                  "resolved_on", "resolution", "responsible_role", "assignee", "gap", "counted", "changed_on",
                  "acknowledged_at", "snoozed_until"]


class SnoozeSerializer(serializers.Serializer):
    until = serializers.DateField()


class ReassignSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    assignee = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.filter(is_active=True), allow_null=True)
