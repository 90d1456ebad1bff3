from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from contacts.filtersets import TouchFilterSet
from contacts.models import Touch
from contacts.services import TouchBatchInvalid, TouchBatchRefused, touch_log_many
from core.permissions import EVERYONE, HasRole

from .serializers import TouchInputSerializer, TouchSerializer


class TouchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Touches; POST takes one object or a list, as in the touches CSV, and re-evaluates the accounts at once.

    The signed-in user is stored as each touch's `recorded_by`; a rep naming someone else as performer (or, without
    a performer, another role) is answered 403 and nothing is stored (docs/api.md §5, docs/permissions.md)."""

    queryset = Touch.objects.select_related("account", "performer", "recorded_by")
    serializer_class = TouchSerializer
    permission_classes = [HasRole]
    read_roles, write_roles = EVERYONE, EVERYONE
    filterset_class = TouchFilterSet
    ordering_fields = ["occurred_at", "id"]

    @extend_schema(request=TouchInputSerializer(many=True), responses={201: TouchSerializer(many=True)})
    def create(self, request, *args, **kwargs):
        many = isinstance(request.data, list)
        items = request.data if many else [request.data]
        if not items:
            raise ApiValidationError({"detail": "an empty list stores nothing"})
        parsed, errors = [], {}
        for index, item in enumerate(items):
            serializer = TouchInputSerializer(data=item)
            if serializer.is_valid():
                parsed.append(serializer.validated_data)
            else:
                errors[str(index)] = serializer.errors
        if errors:
            raise ApiValidationError(errors if many else errors["0"])
        try:
            logged = touch_log_many(recorded_by=request.user, items=parsed)
        except TouchBatchInvalid as exc:
            detail = {str(i): fields for i, fields in exc.errors_by_index.items()}
            raise ApiValidationError(detail if many else detail["0"]) from exc
        except TouchBatchRefused as exc:
            reasons = {str(i): reason for i, reason in exc.refused_by_index.items()}
            raise ApiPermissionDenied(reasons if many else reasons["0"]) from exc
        # The alerts the touches closed (logged.closed_alerts) are not part of this answer (docs/api.md §5).
        data = TouchSerializer([touch for touch, _created in logged.results], many=True).data
        return Response(data if many else data[0], status=status.HTTP_201_CREATED)
