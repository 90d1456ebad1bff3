"""The ICP profile API's shapes (docs/api.md §3 and §5), for the schema and the answers.

A profile is written as a whole through profiles.services.profile_save_json, whose one check
(profiles/validation.py) reports every problem under its field; these serializers document that JSON — the
attributes, operators and bounds are the validation's own constants — and shape the answers."""

from __future__ import annotations

from rest_framework import serializers

from profiles.models import IcpProfile, IcpProfileVersion
from profiles.scoring import ATTRIBUTES, OPERATORS
from profiles.selectors import profile_to_json
from profiles.validation import MAX_NAME_LENGTH, MAX_TIER, MAX_WEIGHT, MIN_TIER, MIN_WEIGHT


class CriterionSerializer(serializers.Serializer):
    attribute = serializers.ChoiceField(choices=ATTRIBUTES)
    op = serializers.ChoiceField(choices=OPERATORS)
    # One value, a list, or none, by operator (docs/rules.md §6).
    value = serializers.JSONField(required=False, allow_null=True)
    weight = serializers.IntegerField(min_value=MIN_WEIGHT, max_value=MAX_WEIGHT, required=False, default=1)


class TiersSerializer(serializers.Serializer):
    A = serializers.IntegerField(min_value=MIN_TIER, max_value=MAX_TIER)
    B = serializers.IntegerField(min_value=MIN_TIER, max_value=MAX_TIER)


class ProfileSerializer(serializers.Serializer):
    """The JSON of docs/api.md §3, plus id and version (null only for a profile never saved with a version)."""

    id = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(read_only=True, allow_null=True)
    name = serializers.CharField(max_length=MAX_NAME_LENGTH)
    description = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    active = serializers.BooleanField(required=False, default=True)
    tiers = TiersSerializer(required=False, allow_null=True)
    criteria = CriterionSerializer(many=True, allow_empty=False)

    def to_representation(self, instance: IcpProfile) -> dict:
        return {"id": instance.id, "version": instance.current_version.number if instance.current_version else None,
                **profile_to_json(instance)}


class ProfileVersionSerializer(serializers.ModelSerializer):
    """One saved version of a profile (`icp-profiles/{id}/versions/`, newest first)."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    tiers = TiersSerializer(read_only=True)
    criteria = CriterionSerializer(many=True, read_only=True)

    class Meta:
        model = IcpProfileVersion
        fields = ["number", "created_at", "created_by", "tiers", "criteria"]


class FitScoreSerializer(serializers.Serializer):
    """An account this profile gave its fit (`icp-profiles/{id}/fit-scores/`, best first)."""

    id = serializers.IntegerField()
    external_id = serializers.CharField()
    name = serializers.CharField()
    icp_fit = serializers.IntegerField()
    icp_tier = serializers.CharField(allow_blank=True)


class FitScorePageSerializer(serializers.Serializer):
    """A page of the cursor pagination of docs/api.md §5."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = FitScoreSerializer(many=True)
