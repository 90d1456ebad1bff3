from django.db.models import Prefetch
from rest_framework import mixins, viewsets
from rest_framework.response import Response

from core.permissions import EVERYONE, MANAGERS, HasRole
from standards.models import Requirement, Standard
from standards.services import standard_update

from .serializers import StandardSerializer


class StandardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Coverage standards with their requirements; managers replace a standard's requirements as a whole (PUT)."""

    queryset = Standard.objects.prefetch_related(Prefetch("requirements", queryset=Requirement.objects.order_by("order", "id")))
    serializer_class = StandardSerializer
    permission_classes = [HasRole]
    read_roles, write_roles = EVERYONE, MANAGERS
    pagination_class = None
    lookup_field = "state"
    http_method_names = ["get", "put", "head", "options"]

    def update(self, request, *args, **kwargs):
        standard = self.get_object()
        serializer = self.get_serializer(standard, data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = standard_update(
            standard=standard, requirements=request.data.get("requirements", []), actor=request.user,
            purpose=serializer.validated_data.get("purpose"), owner_role=serializer.validated_data.get("owner_role"),
        )
        return Response(StandardSerializer(self.get_queryset().get(pk=updated.pk)).data)
