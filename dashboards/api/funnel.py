"""GET /api/v1/dashboards/funnel/ and /api/v1/dashboards/content-mix/: a night's funnel with the moves of a period,
and a night's content mix against the plan, as the nights kept them (dashboards.funnel, dashboards.content_mix)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.choices import State
from core.permissions import EVERYONE, HasRole
from dashboards.api.refusals import refused_as_400, request_filters
from dashboards.content_mix import content_mix_figures
from dashboards.filtering import TIERS
from dashboards.funnel import funnel_figures

_ROWS = serializers.ListField(child=serializers.DictField())
_NIGHT = OpenApiParameter("as_of", OpenApiTypes.DATE, required=False,
                          description="The night (a completed run's date); the latest by default; 400 when no run "
                                      "completed that day.")
_PEOPLE = [
    OpenApiParameter("team", OpenApiTypes.STR, required=False,
                     description="Accounts any owner of this team owns (reps: their own team only)."),
    OpenApiParameter("owner", OpenApiTypes.INT, required=False,
                     description="Accounts this user owns in any role (reps: themselves or a teammate)."),
]


class FunnelView(APIView):
    """A completed night's accounts per state in lifecycle order (TARGET_NO_LEAD, LEAD, HIGH_POTENTIAL_LEAD, HOT_LEAD,
    NEGOTIATION, ONBOARDING, ACTIVE, LOYAL, CHURNED; OUT_OF_SCOPE apart), each with the moves into and out of it in
    the period, and the period's moves per (from state, to state), most first — state transitions, not initial
    classifications. Managers, admins and executives read every account; the other roles their own and their
    team's (scope "team")."""

    permission_classes = [HasRole]
    read_roles = EVERYONE

    @extend_schema(
        parameters=[
            _NIGHT,
            OpenApiParameter("from", OpenApiTypes.DATE, required=False,
                             description="First day of the moves (included); 29 days before `to` by default."),
            OpenApiParameter("to", OpenApiTypes.DATE, required=False,
                             description="Last day of the moves (included); the night by default. At most 731 days."),
            *_PEOPLE,
            OpenApiParameter("industry", OpenApiTypes.STR, required=False, description="Case-insensitive."),
            OpenApiParameter("region", OpenApiTypes.STR, required=False, description="Case-insensitive."),
            OpenApiParameter("icp_tier", OpenApiTypes.STR, required=False, enum=list(TIERS)),
        ],
        responses=inline_serializer("FunnelFigures", fields={
            "as_of": serializers.DateField(allow_null=True), "scope": serializers.CharField(),
            "period": inline_serializer("FunnelPeriod", fields={"from": serializers.DateField(allow_null=True),
                                                                "to": serializers.DateField(allow_null=True)}),
            "funnel": _ROWS, "out_of_scope": serializers.IntegerField(), "movement": _ROWS,
            "total_moves": serializers.IntegerField(),
        }),
    )
    def get(self, request):
        with refused_as_400():
            figures = funnel_figures(request_filters(request))
        return Response(figures.as_json())


class ContentMixView(APIView):
    """A completed night's counting touches (docs/rules.md §4) per state by content stage and by channel, each with
    whether the state's content plan expects it, its planned share (the requirements' stages and channels weighted
    by the touches they ask for per day), the touches and their share, and `missing` when the plan expects it and no
    touch carried it. Managers, admins and executives read every account; the other roles their own and their
    team's (scope "team")."""

    permission_classes = [HasRole]
    read_roles = EVERYONE

    @extend_schema(
        parameters=[_NIGHT, OpenApiParameter("state", OpenApiTypes.STR, required=False, enum=list(State.values)),
                    *_PEOPLE],
        responses=inline_serializer("ContentMixFigures", fields={
            "as_of": serializers.DateField(allow_null=True), "scope": serializers.CharField(), "states": _ROWS,
        }),
    )
    def get(self, request):
        with refused_as_400():
            figures = content_mix_figures(request_filters(request))
        return Response(figures.as_json())
