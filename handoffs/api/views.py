from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.versioning import expected_version, precondition_failed, versioned_write, with_etag
from core.permissions import EVERYONE, MANAGERS, HasRole
from core.versioning import StaleVersion
from handoffs.access import FEEDBACK_ROLES, visible_handoff_alerts, visible_handoffs
from handoffs.filtersets import HandoffFilterSet
from handoffs.domain import RuleSpec
from handoffs.models import Handoff, HandoffAlert, HandoffRule
from handoffs.rules_preview import rule_preview
from handoffs.selectors import handoff_feedback
from handoffs.services import (
    handoff_accept, handoff_alert_acknowledge, handoff_reassign, handoff_reject, handoff_rule_create,
    handoff_rule_delete, handoff_rule_move, handoff_rule_update,
)

from .serializers import (
    FeedbackQuerySerializer, FeedbackSerializer, HandoffAlertSerializer, HandoffReassignSerializer,
    HandoffRuleSerializer, HandoffSerializer, RejectSerializer, RuleMoveSerializer, RulePreviewRequestSerializer,
    RulePreviewSerializer,
)


@extend_schema_view(update=extend_schema(**versioned_write(HandoffRuleSerializer)),
                    partial_update=extend_schema(**versioned_write(HandoffRuleSerializer)),
                    destroy=extend_schema(**versioned_write(None)))
class HandoffRuleViewSet(viewsets.ModelViewSet):
    """Handoff rules, written through handoffs.services (versioned, audited). GET of one rule answers its version
    as an ETag; a PUT, PATCH or DELETE with a stale If-Match or `version` answers 412 and writes nothing
    (docs/api.md §5, "Versions and conflicts")."""

    queryset = HandoffRule.objects.order_by("order", "id")
    serializer_class = HandoffRuleSerializer
    permission_classes = [HasRole]
    read_roles, write_roles = EVERYONE, MANAGERS
    pagination_class = None

    def retrieve(self, request, *args, **kwargs):
        rule = self.get_object()
        return with_etag(Response(self.get_serializer(rule).data), rule.version)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = handoff_rule_create(actor=request.user, values=serializer.validated_data)
        return with_etag(Response(self.get_serializer(rule).data, status=status.HTTP_201_CREATED), rule.version)

    def update(self, request, *args, **kwargs):
        rule = self.get_object()
        serializer = self.get_serializer(rule, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        try:
            rule = handoff_rule_update(rule=rule, actor=request.user, changes=serializer.validated_data,
                                       expected_version=expected_version(request, current=rule.version))
        except StaleVersion as exc:
            return precondition_failed(exc)
        return with_etag(Response(self.get_serializer(rule).data), rule.version)

    def destroy(self, request, *args, **kwargs):
        rule = self.get_object()
        try:
            handoff_rule_delete(rule=rule, actor=request.user,
                                expected_version=expected_version(request, current=rule.version))
        except StaleVersion as exc:
            return precondition_failed(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


    @extend_schema(request=RuleMoveSerializer, responses=HandoffRuleSerializer(many=True), description=(
        "Move the rule one place up or down in the order (the first matching rule wins, docs/rules.md §8): it swaps "
        "places with its neighbour, and each rule whose order changes is raised one version (audited). Answers "
        "every rule in the new order. A stale If-Match or `version`: 412, nothing moved; the first rule up or the "
        "last down: 400 naming `direction`."))
    @action(detail=True, methods=["post"], serializer_class=RuleMoveSerializer)
    def move(self, request, pk=None):
        rule = self.get_object()
        data = RuleMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            handoff_rule_move(rule=rule, actor=request.user, direction=data.validated_data["direction"],
                              expected_version=expected_version(request, current=rule.version))
        except StaleVersion as exc:
            return precondition_failed(exc)
        return Response(HandoffRuleSerializer(HandoffRule.objects.order_by("order", "id"), many=True).data)

    @extend_schema(request=RulePreviewRequestSerializer, responses=RulePreviewSerializer, description=(
        "What this rule would have created in the last 90 days, before saving it: the state transitions (not initial "
        "classifications) it would have matched first, at its order with the other rules as they are, and how the "
        "current rules handle those (docs/rules.md §8). `rule` names the saved rule it would replace. Writes nothing."))
    @action(detail=False, methods=["post"], serializer_class=RulePreviewRequestSerializer, pagination_class=None,
            filter_backends=[])
    def preview(self, request):
        data = RulePreviewRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        saved = values.pop("rule", None)
        preview = rule_preview(candidate=RuleSpec(
            id=saved.pk if saved else None, name=values.get("name", ""), order=values.get("order", 0),
            to_state=values["to_state"], from_states=tuple(values.get("from_states", ())),
            from_role=values["from_role"], to_role=values["to_role"], model=values.get("model", "baton"),
            sla_business_hours=values.get("sla_business_hours", 24), active=values.get("active", True)))
        answer = {**preview.__dict__,
                  "taken_from": [{"rule": name, "count": n} for name, n in preview.taken_from],
                  "shadowed_by": [{"rule": name, "count": n} for name, n in preview.shadowed_by]}
        return Response(RulePreviewSerializer(answer).data)


class HandoffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reps see the handoffs addressed to them or to their role; managers see all."""

    serializer_class = HandoffSerializer
    permission_classes = [HasRole]
    read_roles, write_roles = EVERYONE, EVERYONE
    filterset_class = HandoffFilterSet
    ordering_fields = ["created_on", "due_at", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema reads the model
            return Handoff.objects.none()
        return visible_handoffs(self.request.user).select_related("account", "assignee", "decided_by", "sender")

    @extend_schema(request=None, responses=HandoffSerializer, description=(
        "Accept a pending handoff (docs/rules.md §8): you become the account's owner for `to_role`, its lead role is "
        "`to_role` and, three-legged, the sender becomes its supporting owner. The assignee, anyone of `to_role` when "
        "it is unassigned, or a manager; anyone else: 404. 400 when it is no longer pending."))
    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def accept(self, request, pk=None):
        return Response(HandoffSerializer(handoff_accept(handoff_id=pk, actor=request.user)).data)

    @extend_schema(request=RejectSerializer, responses=HandoffSerializer, description=(
        "Reject a pending handoff with a reason code and a comment (docs/rules.md §8): owners do not change; the "
        "account's owner for `from_role` gets a returned alert. Who may: as accept. 400 naming `reason` for an "
        "unknown code; 400 when it is no longer pending."))
    @action(detail=True, methods=["post"], serializer_class=RejectSerializer)
    def reject(self, request, pk=None):
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handoff = handoff_reject(handoff_id=pk, actor=request.user, **data.validated_data)
        return Response(HandoffSerializer(handoff).data)

    @extend_schema(request=HandoffReassignSerializer, responses=HandoffSerializer, description=(
        "Managers and admins: give a pending handoff to another person, by username — an active user of its "
        "`to_role`, who then decides it (docs/rules.md §8). 400 naming `assignee` for anyone else; 400 when it is no "
        "longer pending; other roles: 404."))
    @action(detail=True, methods=["post"], serializer_class=HandoffReassignSerializer)
    def reassign(self, request, pk=None):
        data = HandoffReassignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handoff = handoff_reassign(handoff_id=pk, actor=request.user, assignee=data.validated_data["assignee"])
        return Response(HandoffSerializer(handoff).data)

    @extend_schema(parameters=[FeedbackQuerySerializer], responses=FeedbackSerializer, description=(
        "The feedback figures of the handoffs created from `start` to `end` (both included): acceptance rate, median "
        "business hours to decision, breached share and rejections by reason, overall and by rule, sender, receiver, "
        "ICP profile, ICP tier and lead source (docs/rules.md §8, \"Handoff feedback\")."))
    @action(detail=False, methods=["get"], serializer_class=FeedbackSerializer, filter_backends=[],
            pagination_class=None, read_roles=FEEDBACK_ROLES)
    def feedback(self, request):
        query = FeedbackQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(handoff_feedback(**query.validated_data))


class HandoffAlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Handoff alerts (returned, SLA, escalation; docs/rules.md §8) addressed to you or to your role's queue;
    managers see all. Not coverage alerts: `alerts/` does not list them."""

    serializer_class = HandoffAlertSerializer
    permission_classes = [HasRole]
    read_roles, write_roles = EVERYONE, EVERYONE
    filterset_fields = ["status", "kind"]
    ordering_fields = ["opened_at", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return HandoffAlert.objects.none()
        return visible_handoff_alerts(self.request.user).select_related("handoff", "recipient")

    @extend_schema(request=None, responses=HandoffAlertSerializer, description=(
        "Acknowledge an open handoff alert: a returned alert resolves; an SLA or escalation alert is marked seen and "
        "resolves when its handoff is decided or superseded. Its recipient, anyone of its queue's role, or a manager; "
        "anyone else: 404. 400 when it is not open."))
    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def acknowledge(self, request, pk=None):
        return Response(HandoffAlertSerializer(handoff_alert_acknowledge(alert_id=pk, actor=request.user)).data)
