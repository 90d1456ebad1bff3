from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.versioning import expected_version, precondition_failed, versioned_write, with_etag
from core.permissions import EVERYONE, MANAGERS, HasRole
from core.versioning import StaleVersion
from segments.models import Segment, StateThresholds, ThresholdPreviewJob
from segments.services import thresholds_update
from segments.threshold_preview import threshold_preview_request

from .serializers import (
    SegmentSerializer, ThresholdPreviewJobSerializer, ThresholdPreviewRequestSerializer, ThresholdsSerializer,
)


class SegmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The customer states and (at thresholds/) the settings of the state rules."""

    queryset = Segment.objects.order_by("order")
    serializer_class = SegmentSerializer
    permission_classes = [HasRole]
    read_roles, write_roles = EVERYONE, MANAGERS
    pagination_class = None
    # A state's code: anything else is no segment, answered 404 before any query (core.api.views.page_not_found).
    lookup_value_regex = "[A-Z_]+"

    @extend_schema(methods=["PATCH"], **versioned_write(ThresholdsSerializer))
    @action(detail=False, methods=["get", "patch"], serializer_class=ThresholdsSerializer)
    def thresholds(self, request):
        """GET answers the version as an ETag; a PATCH with a stale If-Match or `version` answers 412 and writes
        nothing (docs/api.md §5, "Versions and conflicts")."""
        if request.method == "PATCH":
            # The serializer answers 400 for a value outside its field's range; the service refuses unknown names.
            current = StateThresholds.load()
            serializer = ThresholdsSerializer(current, data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            changes = {k: v for k, v in {**request.data, **serializer.validated_data}.items() if k != "version"}
            try:
                thresholds_update(changes=changes, actor=request.user,
                                  expected_version=expected_version(request, current=current.version))
            except StaleVersion as exc:
                return precondition_failed(exc)
        thresholds = StateThresholds.load()
        return with_etag(Response(ThresholdsSerializer(thresholds).data), thresholds.version)


@extend_schema_view(retrieve=extend_schema(summary="A threshold preview's status, progress and result"))
class ThresholdPreviewViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Previews of proposed state thresholds, computed in the background (segments.threshold_preview): a person
    reads only their own."""

    serializer_class = ThresholdPreviewJobSerializer
    permission_classes = [HasRole]
    read_roles = write_roles = MANAGERS
    pagination_class = None
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return ThresholdPreviewJob.objects.filter(requested_by=self.request.user).select_related("requested_by")

    @extend_schema(summary="Preview proposed state thresholds (queued; one at a time per person)",
                   request=ThresholdPreviewRequestSerializer,
                   responses={202: ThresholdPreviewJobSerializer, 200: ThresholdPreviewJobSerializer})
    def create(self, request):
        """202 with the new job; 200 with the person's job still queued or running instead, when there is one."""
        proposal = ThresholdPreviewRequestSerializer(data=request.data)
        proposal.is_valid(raise_exception=True)
        job, created = threshold_preview_request(actor=request.user, changes=proposal.validated_data)
        job = self.get_queryset().get(pk=job.pk)
        return Response(ThresholdPreviewJobSerializer(job, context={"request": request}).data,
                        status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)
