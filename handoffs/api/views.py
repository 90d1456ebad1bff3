from django.db.models import Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.versioning import expected_version, precondition_failed, versioned_write, with_etag
from core.permissions import EVERYONE, MANAGERS, HasRole
from core.versioning import StaleVersion
from handoffs.filtersets import HandoffFilterSet
from handoffs.models import Handoff, HandoffRule
from handoffs.services import (
    handoff_accept, handoff_reject, handoff_rule_create, handoff_rule_delete, handoff_rule_update,
)

from .serializers import HandoffRuleSerializer, HandoffSerializer, RejectSerializer


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


class HandoffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reps see the handoffs addressed to them or to their role; managers see all."""

    serializer_class = HandoffSerializer
    permission_classes = [HasRole]
    read_roles, write_roles = EVERYONE, EVERYONE
    filterset_class = HandoffFilterSet
    ordering_fields = ["created_on", "due_at", "id"]

    def get_queryset(self):
        qs = Handoff.objects.select_related("account", "assignee")
        user = self.request.user
        if getattr(self, "swagger_fake_view", False) or user.role in MANAGERS:  # the schema reads the model
            return qs
        return qs.filter(Q(assignee=user) | Q(assignee__isnull=True, to_role=user.role))

    @extend_schema(request=None, responses=HandoffSerializer)
    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def accept(self, request, pk=None):
        return Response(HandoffSerializer(handoff_accept(handoff_id=pk, actor=request.user)).data)

    @extend_schema(request=RejectSerializer, responses=HandoffSerializer)
    @action(detail=True, methods=["post"], serializer_class=RejectSerializer)
    def reject(self, request, pk=None):
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handoff = handoff_reject(handoff_id=pk, actor=request.user, **data.validated_data)
        return Response(HandoffSerializer(handoff).data)
