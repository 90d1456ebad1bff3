from django.db.models import Prefetch
from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.versioning import expected_version, precondition_failed, versioned_write, with_etag
from core.permissions import EVERYONE, MANAGERS, HasRole
from core.versioning import StaleVersion
from standards.models import Requirement, Standard
from standards.services import standard_update
from standards.whatif import preview_standards

from .serializers import StandardSerializer, WhatIfRequestSerializer, WhatIfSerializer


class StandardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Coverage standards with their requirements; managers replace a standard's requirements as a whole (PUT).

    GET of one standard answers its version as an ETag; a PUT with a stale If-Match or `version` answers 412 and
    writes nothing (docs/api.md §5, "Versions and conflicts")."""

    queryset = Standard.objects.prefetch_related(Prefetch("requirements", queryset=Requirement.objects.order_by("order", "id")))
    serializer_class = StandardSerializer
    permission_classes = [HasRole]
    read_roles, write_roles = EVERYONE, MANAGERS
    pagination_class = None
    lookup_field = "state"
    # A state's code: anything else is no standard, answered 404 before any query (core.api.views.page_not_found).
    lookup_value_regex = "[A-Z_]+"
    http_method_names = ["get", "put", "post", "head", "options"]

    def retrieve(self, request, *args, **kwargs):
        standard = self.get_object()
        return with_etag(Response(self.get_serializer(standard).data), standard.version)

    @extend_schema(**versioned_write(StandardSerializer))
    def update(self, request, *args, **kwargs):
        standard = self.get_object()
        serializer = self.get_serializer(standard, data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            updated = standard_update(
                standard=standard, requirements=request.data.get("requirements", []), actor=request.user,
                purpose=serializer.validated_data.get("purpose"), owner_role=serializer.validated_data.get("owner_role"),
                content_stages=serializer.validated_data.get("content_stages"),
                channels=serializer.validated_data.get("channels"),
                expected_version=expected_version(request, current=standard.version),
            )
        except StaleVersion as exc:
            return precondition_failed(exc)
        return with_etag(Response(StandardSerializer(self.get_queryset().get(pk=updated.pk)).data), updated.version)

    @extend_schema(request=WhatIfRequestSerializer, responses={
        200: WhatIfSerializer, 400: OpenApiResponse(description="The proposal is invalid: each message names the "
                                                               "state, the requirement's index and the field.")})
    @action(detail=False, methods=["post"], url_path="preview", serializer_class=WhatIfRequestSerializer)
    def preview(self, request, *args, **kwargs):
        """What the next night would leave with the proposed requirements saved, against today's standards: the
        under-covered accounts, the open alerts by responsible role and by owner, the compliance per state. Writes
        nothing (docs/api.md §5, "What-if")."""
        body = request.data if isinstance(request.data, dict) else {}
        if "standards" not in body:
            return Response({"standards": ["This field is required."]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            result = preview_standards(proposal=body["standards"])
        except ValidationError as exc:
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response(WhatIfSerializer(result).data)
