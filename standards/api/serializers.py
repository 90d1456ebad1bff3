from rest_framework import serializers

from core.api.serializers import ModelRulesMixin
from standards.models import Requirement, Standard


class RequirementSerializer(ModelRulesMixin, serializers.ModelSerializer):
    """A requirement as PUT standards/STATE/ takes it; bounds and choices are the model's (standards.models)."""

    class Meta:
        model = Requirement
        fields = ["code", "kind", "min_count", "window_days", "responsible_role", "performer_roles", "content_stage",
                  "channel"]
        extra_kwargs = {"code": {"validators": []}}


class StandardSerializer(ModelRulesMixin, serializers.ModelSerializer):
    requirements = RequirementSerializer(many=True)

    class Meta:
        model = Standard
        fields = ["id", "state", "purpose", "owner_role", "content_stages", "channels", "version", "updated_at",
                  "requirements"]
        read_only_fields = ["state", "version", "updated_at"]


class WhatIfRequestSerializer(serializers.Serializer):
    """POST standards/preview/: the proposed requirements of the states that change, each list exactly as
    PUT standards/STATE/ takes it (docs/api.md §5, "What-if"). Validated by standards.whatif.clean_proposal."""

    standards = serializers.DictField(child=RequirementSerializer(many=True),
                                      help_text="State code -> its proposed requirements (only the states that change).")


class WhatIfSideSerializer(serializers.Serializer):
    """What the next night would leave, on one side (docs/api.md §5, "What-if")."""

    under_covered_accounts = serializers.IntegerField()
    alerts = serializers.IntegerField(help_text="Open coverage alerts.")
    alerts_by_role = serializers.DictField(child=serializers.IntegerField(), help_text="Responsible role -> alerts.")
    alerts_by_owner = serializers.DictField(child=serializers.IntegerField(), help_text="Username -> alerts.")
    alerts_unassigned = serializers.IntegerField(help_text="Alerts of accounts without an owner for the role.")
    compliance_by_state = serializers.DictField(
        child=serializers.DictField(), help_text="State -> {accounts, compliant, rate (null without requirements), "
                                                 "requirements}.")


class WhatIfSerializer(serializers.Serializer):
    as_of = serializers.DateField(help_text="The next night's date: the day after the latest completed run.")
    changed_states = serializers.ListField(child=serializers.CharField())
    mode = serializers.CharField(help_text="How the next night would run: incremental or full.")
    current = WhatIfSideSerializer()
    proposed = WhatIfSideSerializer()
