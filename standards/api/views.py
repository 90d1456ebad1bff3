from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.response import Response

from core.api.versioning import expected_version, precondition_failed, versioned_write, with_etag
from core.permissions import EVERYONE, MANAGERS, HasRole
from core.versioning import StaleVersion
from standards.models import Requirement, Standard
from standards.services import standard_update

from .serializers import StandardSerializer


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
    http_method_names = ["get", "put", "head", "options"]

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
                expected_version=expected_version(request, current=standard.version),
            )
        except StaleVersion as exc:
            return precondition_failed(exc)
        return with_etag(Response(StandardSerializer(self.get_queryset().get(pk=updated.pk)).data), updated.version)
