from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.permissions import EVERYONE, MANAGERS, HasRole
from handoffs.models import Handoff, HandoffRule
from handoffs.services import handoff_accept, handoff_reject

from .serializers import HandoffRuleSerializer, HandoffSerializer, RejectSerializer


class HandoffRuleViewSet(viewsets.ModelViewSet):
    queryset = HandoffRule.objects.order_by("order", "id")
    serializer_class = HandoffRuleSerializer
    permission_classes = [HasRole]
    read_roles, write_roles = EVERYONE, MANAGERS
    pagination_class = None


class HandoffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reps see the handoffs addressed to them or to their role; managers see all."""

    serializer_class = HandoffSerializer
    permission_classes = [HasRole]
    read_roles, write_roles = EVERYONE, EVERYONE
    filterset_fields = ["status", "assignee", "to_role", "to_state"]
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
        return Response(HandoffSerializer(handoff_accept(handoff=self.get_object(), actor=request.user)).data)

    @extend_schema(request=RejectSerializer, responses=HandoffSerializer)
    @action(detail=True, methods=["post"], serializer_class=RejectSerializer)
    def reject(self, request, pk=None):
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handoff = handoff_reject(handoff=self.get_object(), actor=request.user, **data.validated_data)
        return Response(HandoffSerializer(handoff).data)
