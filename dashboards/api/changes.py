"""GET /api/v1/dashboards/changes/: what changed overnight (dashboards.changes; docs/rules.md §3, §5, §8)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import EVERYONE, HasRole
from dashboards.changes import (
    LISTS,
    ChangesError,
    night_changes,
    resolve_choices,
)

# With ?list= only that list is answered: each list may be absent.
_LIST = inline_serializer("ChangeList", required=False, fields={
    "count": serializers.IntegerField(help_text="Rows of the list (at most 10,000; see capped)."),
    "capped": serializers.BooleanField(help_text="More than 10,000 rows: count is 10,000."),
    "next_before": serializers.IntegerField(allow_null=True,
                                        help_text="Pass as ?before= with ?list= for the next rows."),
    "results": serializers.ListField(child=serializers.DictField()),
})


class ChangesDashboardView(APIView):
    """The night's state transitions (with the reason as a sentence), coverage alerts opened and resolved (with the
    reason, responsible role and assignee) and handoffs created (rule, from → to, receiver): the first 20 of each
    and their counts; the accounts classified for the first time only counted (`first_classified`); `?list=` one
    list, 100 rows a page below `?before=`."""

    permission_classes = [HasRole]
    read_roles = EVERYONE

    @extend_schema(
        parameters=[
            OpenApiParameter("as_of", OpenApiTypes.DATE, required=False,
                             description="The night (business date); the latest completed run's by default."),
            OpenApiParameter("scope", OpenApiTypes.STR, required=False, enum=["mine", "team", "all"],
                             description="mine: my accounts (owner for my role) and alerts or handoffs assigned to me; "
                                         "team: my team's; all: everyone's. Reps: mine (default) or team; managers "
                                         "and admins: team (default) or all; executives: all."),
            OpenApiParameter("list", OpenApiTypes.STR, required=False, enum=list(LISTS),
                             description="One list only, 100 rows a page."),
            OpenApiParameter("before", OpenApiTypes.INT, required=False,
                             description="With list: the rows below this id (the previous page's next_before)."),
        ],
        responses=inline_serializer("NightChanges", fields={
            "as_of": serializers.DateField(allow_null=True), "scope": serializers.CharField(),
            "scopes": serializers.ListField(child=serializers.CharField()),
            **{name: _LIST for name in LISTS},  # with ?list=, the first classifications are absent too
            "first_classified": inline_serializer("FirstClassified", required=False, fields={
                "count": serializers.IntegerField(), "capped": serializers.BooleanField()}),
        }),
    )
    def get(self, request):
        try:
            scope, as_of, only, before = resolve_choices(request.user, request.query_params)
        except ChangesError as exc:
            raise ValidationError({exc.field: [exc.message]}) from None
        night = night_changes(request.user, as_of=as_of, scope=scope, only=only, before=before)
        return Response(night.as_json())
