from rest_framework import serializers

from contacts.models import Touch
from core.api.serializers import StrictJsonTypesMixin, model_field


class TouchSerializer(serializers.ModelSerializer):
    account_external_id = serializers.CharField(source="account.external_id", read_only=True)
    performer = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    # Who submitted the touch (page, API, import), apart from who performed it; null for an import without a user.
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Touch
        fields = ["id", "external_id", "account_external_id", "occurred_at", "occurred_on", "kind", "channel",
                  "content_stage", "performer", "performer_role", "source", "note", "recorded_by"]


class TouchInputSerializer(StrictJsonTypesMixin, serializers.Serializer):
    """The fields of the touches CSV (docs/api.md §2), as JSON; each field's rules (choices, lengths) are the
    Touch model field's."""

    # Without the uniqueness check a ModelSerializer adds: a repeated external_id is the same touch, answered 201
    # and stored once (docs/api.md §5).
    external_id = model_field(Touch, "external_id", validators=[])
    account_external_id = serializers.CharField()
    occurred_at = serializers.CharField()
    kind = model_field(Touch, "kind")
    channel = model_field(Touch, "channel")
    content_stage = model_field(Touch, "content_stage")
    performer = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    # Looser than the model: without a role, the performer's role at this moment is recorded (contacts.services).
    performer_role = model_field(Touch, "performer_role", required=False, allow_blank=True, allow_null=True)
    note = model_field(Touch, "note")

    class Meta:
        # The model these fields are checked against (tests/core/test_serializers_agree_with_models.py) …
        model = Touch
        # … and, by field, why one is deliberately looser than its model field.
        looser_than_model = {"performer_role": "filled from the performer when empty"}

    def validate_occurred_at(self, value):
        from core.importing import CellError, parse_datetime
        from core.timeutil import business_zone

        try:
            return parse_datetime(value, business_zone())
        except CellError as exc:
            raise serializers.ValidationError(str(exc)) from exc
