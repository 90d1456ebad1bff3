import datetime as dt

from rest_framework import serializers

from core.api.serializers import ModelRulesMixin, StrictJsonTypesMixin
from core.models import User
from core.timeutil import business_today
from handoffs.models import Handoff, HandoffAlert, HandoffRule


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
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    sender = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Handoff
        fields = ["id", "account", "account_external_id", "rule_name", "from_state", "to_state", "from_role", "to_role",
                  "model", "created_on", "status", "assignee", "due_at", "sla_breached", "escalate_at", "escalated",
                  "reason", "comment", "decided_at", "decided_by", "sender", "icp_fit", "icp_profile_name", "icp_tier",
                  "lead_source"]


class RejectSerializer(StrictJsonTypesMixin, serializers.Serializer):
    """A rejection: one of the reason codes of docs/rules.md §8 and a comment."""

    reason = serializers.ChoiceField(choices=Handoff.RejectReason.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class HandoffReassignSerializer(StrictJsonTypesMixin, serializers.Serializer):
    """Managers: the person a pending handoff goes to, by username (an active user of its `to_role`)."""

    assignee = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all())


class HandoffAlertSerializer(serializers.ModelSerializer):
    """A returned, SLA or escalation alert about a handoff (docs/rules.md §8): not a coverage alert."""

    recipient = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    account = serializers.IntegerField(source="handoff.account_id", read_only=True)

    class Meta:
        model = HandoffAlert
        fields = ["id", "handoff", "account", "kind", "recipient", "recipient_role", "status", "opened_at",
                  "acknowledged_at", "resolved_at", "reason", "comment"]


class FeedbackQuerySerializer(StrictJsonTypesMixin, serializers.Serializer):
    """The period of the feedback figures: handoffs created from `start` to `end`, both included (without them, the
    30 days to today). A read refuses nothing its schema allows: a `start` after `end` is an empty period."""

    start = serializers.DateField(required=False, help_text="default: 29 days before `end`")
    end = serializers.DateField(required=False, help_text="default: today (business date)")

    def validate(self, attrs):
        end = attrs.setdefault("end", business_today())
        earliest = dt.date.min + dt.timedelta(days=29)
        attrs.setdefault("start", end - dt.timedelta(days=29) if end >= earliest else dt.date.min)
        return attrs


class RejectionReasonsSerializer(serializers.Serializer):
    """Rejections by reason code, every code present (zeros included)."""

    not_icp = serializers.IntegerField()
    no_budget = serializers.IntegerField()
    no_need = serializers.IntegerField()
    bad_timing = serializers.IntegerField()
    wrong_contact = serializers.IntegerField()
    wrong_owner = serializers.IntegerField()
    bad_data = serializers.IntegerField()
    other = serializers.IntegerField()


class FeedbackFiguresSerializer(serializers.Serializer):
    handoffs = serializers.IntegerField()
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    pending = serializers.IntegerField()
    superseded = serializers.IntegerField()
    decided = serializers.IntegerField(help_text="accepted + rejected")
    acceptance_rate = serializers.FloatField(allow_null=True, help_text="accepted / decided; null when none decided")
    median_business_hours_to_decision = serializers.FloatField(
        allow_null=True, help_text="from the handoff's start (created_on 00:00 business time) to its decision")
    breached = serializers.IntegerField()
    breached_share = serializers.FloatField(allow_null=True, help_text="breached / handoffs; null when none")
    rejection_reasons = RejectionReasonsSerializer()


class FeedbackGroupSerializer(FeedbackFiguresSerializer):
    key = serializers.CharField(allow_null=True, help_text="the group's value; null when the handoff has none")


class FeedbackSerializer(serializers.Serializer):
    """docs/rules.md §8, "Handoff feedback": overall and grouped figures of the handoffs created in the period."""

    start = serializers.DateField()
    end = serializers.DateField()
    overall = FeedbackFiguresSerializer()
    by_rule = FeedbackGroupSerializer(many=True)
    by_sender = FeedbackGroupSerializer(many=True)
    by_receiver = FeedbackGroupSerializer(many=True)
    by_icp_profile = FeedbackGroupSerializer(many=True)
    by_icp_tier = FeedbackGroupSerializer(many=True)
    by_lead_source = FeedbackGroupSerializer(many=True)


# --- the rules editor's actions (handoff-rules/<id>/move/, handoff-rules/preview/; docs/rules.md §8) -----------------

class RuleMoveSerializer(StrictJsonTypesMixin, serializers.Serializer):
    """Move a rule one place in the order; `version` (or If-Match) is the rule's as read (412 when stale)."""

    direction = serializers.ChoiceField(choices=[("up", "up"), ("down", "down")])
    version = serializers.IntegerField(required=False, min_value=1)


class RulePreviewRequestSerializer(HandoffRuleSerializer):
    """A rule as it would be saved; `rule` names the saved rule it would replace (omitted: a new rule)."""

    rule = serializers.PrimaryKeyRelatedField(queryset=HandoffRule.objects.all(), required=False, allow_null=True)

    class Meta(HandoffRuleSerializer.Meta):
        fields = ["rule", *[f for f in HandoffRuleSerializer.Meta.fields if f not in ("id", "version")]]


class RuleCountSerializer(serializers.Serializer):
    rule = serializers.CharField(help_text="the rule's name")
    count = serializers.IntegerField()


class RulePreviewSerializer(serializers.Serializer):
    """The state transitions since `since` (90 days, today included) that the rule, at its order and with the other
    rules as they are, would have matched first (docs/rules.md §8)."""

    since = serializers.DateField()
    active = serializers.BooleanField()
    matched = serializers.IntegerField(help_text="transitions it would have handed off")
    differently = serializers.IntegerField(help_text="of those, the ones the current rules handle differently")
    unmatched = serializers.IntegerField(help_text="of those, the ones no rule hands off now")
    taken_from = RuleCountSerializer(many=True, help_text="of those, the ones another rule hands off now, by rule")
    shadowed = serializers.IntegerField(help_text="transitions it matches that an earlier rule takes")
    shadowed_by = RuleCountSerializer(many=True)
    currently = serializers.IntegerField(allow_null=True, help_text="what the saved rule hands off now; null: new")
