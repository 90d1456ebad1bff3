"""GET /api/v1/dashboards/depth/: a night's coverage depth and breadth as it kept them (dashboards.depth;
docs/rules.md §4, §9)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.choices import State
from core.permissions import EVERYONE, HasRole
from dashboards.api.refusals import refused_as_400, request_filters
from dashboards.depth import DepthFigures, depth_figures
from dashboards.filtering import TIERS

_ROWS = serializers.ListField(child=serializers.DictField())


class DepthDashboardView(APIView):
    """A completed night's depth — per responsible role, owner, team, state and role: accounts, compliant,
    under-covered, grace, compliance rate, touches done vs required, human and digital touches — and breadth per
    state, industry, region and ICP tier (accounts, coverage classes, touched within 30 / 90 days). Read from the
    rows the night kept. Managers, admins and executives see everyone's depth and breadth; the other roles their own
    and their team's (scope "team"). Depth takes state, team, owner; breadth takes them all, with industry, region
    and ICP tier, each account once (dashboards.filtering: a team or owner outside a rep's scope is refused naming
    it)."""

    permission_classes = [HasRole]
    read_roles = EVERYONE

    @extend_schema(
        parameters=[
            OpenApiParameter("as_of", OpenApiTypes.DATE, required=False,
                             description="The night (a completed run's date); the latest by default; 400 when no "
                                         "run completed that day."),
            OpenApiParameter("team", OpenApiTypes.STR, required=False,
                             description="The owners' team (depth and breadth)."),
            OpenApiParameter("owner", OpenApiTypes.INT, required=False,
                             description="The owner's user id (depth and breadth)."),
            OpenApiParameter("state", OpenApiTypes.STR, required=False, enum=list(State.values)),
            OpenApiParameter("industry", OpenApiTypes.STR, required=False, description="Breadth, case-insensitive."),
            OpenApiParameter("region", OpenApiTypes.STR, required=False, description="Breadth."),
            OpenApiParameter("icp_tier", OpenApiTypes.STR, required=False, enum=list(TIERS), description="Breadth."),
            OpenApiParameter("tier", OpenApiTypes.STR, required=False, enum=list(TIERS),
                             description="Breadth; the former name of `icp_tier`, still read."),
        ],
        responses=inline_serializer("DepthFigures", fields={
            "as_of": serializers.DateField(allow_null=True), "scope": serializers.CharField(),
            **{name: _ROWS for name in DepthFigures.TABLES}, "breadth_total": serializers.DictField(),
        }),
    )
    def get(self, request):
        with refused_as_400():
            figures = depth_figures(request_filters(request))
        return Response(figures.as_json())
