from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Account
from core.api.pagination import DefaultCursorPagination
from core.choices import Role
from core.api.versioning import expected_version, precondition_failed, versioned_write, with_etag
from core.permissions import EVERYONE, HasRole
from core.versioning import StaleVersion
from profiles.models import IcpProfile
from profiles.services import profile_save_json

from .serializers import FitScorePageSerializer, ProfileSerializer, ProfileVersionSerializer

EDITORS = (Role.MARKETING, Role.MANAGER, Role.ADMIN)


class IcpProfileViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        mixins.UpdateModelMixin, viewsets.GenericViewSet):
    queryset = IcpProfile.objects.select_related("current_version").order_by("name")
    serializer_class = ProfileSerializer
    permission_classes = [HasRole]
    read_roles, write_roles = EVERYONE, EDITORS
    pagination_class = None
    http_method_names = ["get", "post", "put", "head", "options"]

    def _save(self, request, *, name=None, expected=None):
        data = request.data
        if isinstance(data, dict) and "version" in data:  # the version read, not part of the profile (§3)
            data = {k: v for k, v in data.items() if k != "version"}
        version = profile_save_json(data=data, name=name, actor=request.user, expected_version=expected)
        return ProfileSerializer(self.get_queryset().get(pk=version.profile_id)).data, version.number

    def retrieve(self, request, *args, **kwargs):
        profile = self.get_object()
        data = self.get_serializer(profile).data
        return with_etag(Response(data), data["version"])

    def create(self, request, *args, **kwargs):
        data, number = self._save(request)
        return with_etag(Response(data, status=status.HTTP_201_CREATED), number)

    @extend_schema(**versioned_write(ProfileSerializer))
    def update(self, request, *args, **kwargs):
        """A new version; with a stale If-Match or `version` (the number read) 412, nothing written (§5)."""
        profile = self.get_object()
        current = profile.current_version.number if profile.current_version else 0
        try:
            data, number = self._save(request, name=profile.name,
                                      expected=expected_version(request, current=current))
        except StaleVersion as exc:
            return precondition_failed(exc)
        return with_etag(Response(data), number)

    @extend_schema(responses=ProfileVersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        profile = self.get_object()
        return Response(ProfileVersionSerializer(
            profile.versions.select_related("created_by").order_by("-number"), many=True).data)

    @extend_schema(responses=FitScorePageSerializer, parameters=[
        OpenApiParameter("cursor", str, description="The `next` or `previous` link's cursor of an answer."),
        OpenApiParameter("page_size", {"type": "integer", "minimum": 1, "maximum": DefaultCursorPagination.max_page_size},
                         description="Accounts per page (default 50)."),
    ])
    @action(detail=True, methods=["get"], url_path="fit-scores")
    def fit_scores(self, request, pk=None):
        profile = self.get_object()
        qs = Account.objects.filter(icp_profile=profile).order_by("-icp_fit", "id").values(
            "id", "external_id", "name", "icp_fit", "icp_tier")
        page = self.paginator_for_scores.paginate_queryset(qs, request, view=self)
        return self.paginator_for_scores.get_paginated_response(list(page))

    @property
    def paginator_for_scores(self):
        if not hasattr(self, "_score_paginator"):
            self._score_paginator = DefaultCursorPagination()
            self._score_paginator.ordering = ("-icp_fit", "id")
        return self._score_paginator


