from rest_framework import serializers

from contacts.models import Touch


class TouchSerializer(serializers.ModelSerializer):
    account_external_id = serializers.CharField(source="account.external_id", read_only=True)
    performer = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Touch
        fields = ["id", "external_id", "account_external_id", "occurred_at", "occurred_on", "kind", "channel",
                  "content_stage", "performer", "performer_role", "source", "note"]


class TouchInputSerializer(serializers.Serializer):
    """The fields of the touches CSV (interfaces.md §2), as JSON."""

    external_id = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=100)
    account_external_id = serializers.CharField()
    occurred_at = serializers.CharField()
    kind = serializers.CharField()
    channel = serializers.CharField(required=False, allow_blank=True, max_length=30)
    content_stage = serializers.CharField(required=False, allow_blank=True)
    performer = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    performer_role = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True)

    def validate_occurred_at(self, value):
        from core.importing import CellError, parse_datetime
        from core.timeutil import business_zone

        try:
            return parse_datetime(value, business_zone())
        except CellError as exc:
            raise serializers.ValidationError(str(exc)) from exc
