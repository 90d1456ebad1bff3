import django_filters
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.models import User
from core.permissions import EVERYONE, HasRole
from engine.alerts import alert_acknowledge, alert_reassign, alert_snooze
from engine.models import Alert, CoverageRow


class CoverageRowSerializer(serializers.ModelSerializer):
    account_external_id = serializers.CharField(source="account.external_id")
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CoverageRow
        fields = ["id", "account", "account_external_id", "state", "requirement", "kind", "min_count", "window_days",
                  "counted", "gap", "status", "last_touch_on", "due_on", "responsible_role", "assignee", "as_of"]


class AlertSerializer(serializers.ModelSerializer):
    account_external_id = serializers.CharField(source="account.external_id")
    account_name = serializers.CharField(source="account.name")
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Alert
        fields = ["id", "account", "account_external_id", "account_name", "state", "requirement", "status", "opened_on",
                  "resolved_on", "resolution", "responsible_role", "assignee", "gap", "counted", "changed_on",
                  "acknowledged_at", "snoozed_until"]


class MineFilterMixin(django_filters.FilterSet):
    mine = django_filters.BooleanFilter(method="filter_mine")

    def filter_mine(self, queryset, name, value):
        return queryset.filter(assignee=self.request.user) if value else queryset


class CoverageFilterSet(MineFilterMixin):
    account_external_id = django_filters.CharFilter(field_name="account__external_id")

    class Meta:
        model = CoverageRow
        fields = ["account", "account_external_id", "state", "status", "responsible_role", "assignee", "mine"]


class AlertFilterSet(MineFilterMixin):
    team = django_filters.CharFilter(field_name="assignee__team")

    class Meta:
        model = Alert
        fields = ["account", "status", "state", "responsible_role", "assignee", "team", "mine"]


class CoverageRowViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Rows as in export_coverage."""

    queryset = CoverageRow.objects.select_related("account", "assignee")
    serializer_class = CoverageRowSerializer
    permission_classes = [HasRole]
    read_roles = EVERYONE
    filterset_class = CoverageFilterSet
    ordering_fields = ["due_on", "gap", "id"]


class SnoozeSerializer(serializers.Serializer):
    until = serializers.DateField()


class ReassignSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    assignee = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.filter(is_active=True), allow_null=True)


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Alert.objects.select_related("account", "assignee")
    serializer_class = AlertSerializer
    permission_classes = [HasRole]
    # Acting on one alert is checked by the service (its assignee or a manager); reassigning is for managers.
    read_roles, write_roles = EVERYONE, EVERYONE
    filterset_class = AlertFilterSet
    ordering_fields = ["opened_on", "gap", "id"]

    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def acknowledge(self, request, pk=None):
        alert = alert_acknowledge(alert=self.get_object(), actor=request.user)
        return Response(AlertSerializer(alert).data)

    @action(detail=True, methods=["post"], serializer_class=SnoozeSerializer)
    def snooze(self, request, pk=None):
        data = SnoozeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = alert_snooze(alert=self.get_object(), actor=request.user, until=data.validated_data["until"])
        return Response(AlertSerializer(alert).data)

    @action(detail=False, methods=["post"], serializer_class=ReassignSerializer)
    def reassign(self, request):
        data = ReassignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alerts = list(Alert.objects.filter(id__in=data.validated_data["ids"]))
        count = alert_reassign(alerts=alerts, assignee=data.validated_data["assignee"], actor=request.user)
        return Response({"reassigned": count})



