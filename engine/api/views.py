"""Coverage rows and alerts; acting on an alert goes through engine.alerts, which asks engine.access."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.permissions import EVERYONE, HasRole
from engine.access import access_alert
from engine.alerts import alert_acknowledge, alert_reassign, alert_snooze
from engine.filtersets import AlertFilterSet, CoverageFilterSet
from engine.models import Alert, CoverageRow

from .serializers import AlertSerializer, CoverageRowSerializer, ReassignSerializer, SnoozeSerializer


class CoverageRowViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Rows as in export_coverage."""

    queryset = CoverageRow.objects.select_related("account", "assignee")
    serializer_class = CoverageRowSerializer
    permission_classes = [HasRole]
    read_roles = EVERYONE
    filterset_class = CoverageFilterSet
    ordering_fields = ["due_on", "gap", "id"]


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Alert.objects.select_related("account", "assignee")
    serializer_class = AlertSerializer
    permission_classes = [HasRole]
    # Who may act on one alert is engine.access's to say (404 otherwise); reassigning is for managers.
    read_roles, write_roles = EVERYONE, EVERYONE
    filterset_class = AlertFilterSet
    ordering_fields = ["opened_on", "gap", "id"]
    lookup_value_regex = r"\d+"

    def get_object(self) -> Alert:
        return access_alert(user=self.request.user, alert_id=int(self.kwargs["pk"]))

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def acknowledge(self, request, pk=None):
        alert = alert_acknowledge(alert_id=int(pk), actor=request.user)
        return Response(AlertSerializer(alert).data)

    @extend_schema(request=SnoozeSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"], serializer_class=SnoozeSerializer)
    def snooze(self, request, pk=None):
        data = SnoozeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = alert_snooze(alert_id=int(pk), actor=request.user, until=data.validated_data["until"])
        return Response(AlertSerializer(alert).data)

    @extend_schema(request=ReassignSerializer, responses=inline_serializer(
        name="Reassigned", fields={"reassigned": serializers.IntegerField()}))
    @action(detail=False, methods=["post"], serializer_class=ReassignSerializer)
    def reassign(self, request):
        data = ReassignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alerts = list(Alert.objects.filter(id__in=data.validated_data["ids"]))
        count = alert_reassign(alerts=alerts, assignee=data.validated_data["assignee"], actor=request.user)
        return Response({"reassigned": count})
