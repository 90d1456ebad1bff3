from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.permissions import EVERYONE, MANAGERS, HasRole
from segments.models import Segment, StateThresholds
from segments.services import THRESHOLD_FIELDS, thresholds_update


class SegmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Segment
        fields = ["code", "order", "name_en", "name_ja", "purpose_en", "purpose_ja"]


class ThresholdsSerializer(serializers.ModelSerializer):
    class Meta:
        model = StateThresholds
        fields = list(THRESHOLD_FIELDS) + ["updated_at"]


class SegmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The customer states and (at thresholds/) the settings of the state rules."""

    queryset = Segment.objects.order_by("order")
    serializer_class = SegmentSerializer
    permission_classes = [HasRole]
    read_roles, write_roles = EVERYONE, MANAGERS
    pagination_class = None

    @action(detail=False, methods=["get", "patch"], serializer_class=ThresholdsSerializer)
    def thresholds(self, request):
        if request.method == "PATCH":
            thresholds_update(changes=request.data, actor=request.user)
        return Response(ThresholdsSerializer(StateThresholds.load()).data)
