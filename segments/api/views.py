from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.permissions import EVERYONE, MANAGERS, HasRole
from segments.models import Segment, StateThresholds
from segments.services import thresholds_update

from .serializers import SegmentSerializer, ThresholdsSerializer


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
            # The serializer answers 400 for a value outside its field's range; the service refuses unknown names.
            serializer = ThresholdsSerializer(StateThresholds.load(), data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            thresholds_update(changes={**request.data, **serializer.validated_data}, actor=request.user)
        return Response(ThresholdsSerializer(StateThresholds.load()).data)
