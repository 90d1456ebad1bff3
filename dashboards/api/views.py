import datetime as dt

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.choices import State
from core.permissions import EVERYONE, HasRole
from dashboards.api.refusals import refused_as_400, request_filters
from dashboards.coverage import coverage_view
from dashboards.filtering import TIERS
from dashboards.selectors import coverage_figures, kept_coverage_figures
from dashboards.trends import DEFAULT_DAYS, MAX_DAYS, trend_figures


FILTER_PARAMETERS = [
    OpenApiParameter("team", OpenApiTypes.STR, required=False,
                     description="The owners' team (the assignees of the requirements); a rep: their own team only."),
    OpenApiParameter("owner", OpenApiTypes.INT, required=False,
                     description="An owner's user id; a rep: themselves or a teammate only."),
    OpenApiParameter("state", OpenApiTypes.STR, required=False, enum=list(State.values)),
    OpenApiParameter("industry", OpenApiTypes.STR, required=False, description="Case-insensitive."),
    OpenApiParameter("region", OpenApiTypes.STR, required=False),
    OpenApiParameter("icp_tier", OpenApiTypes.STR, required=False, enum=list(TIERS)),
]


def _filtered(request) -> bool:
    """True unless the call is the organisation-wide one of docs/rules.md §9 (no filter but `as_of`), whose answer
    stays exactly what it was for every caller."""
    return any(request.query_params.get(name) not in (None, "")
               for name in ("team", "owner", "state", "industry", "region", "icp_tier", "tier"))


class CoverageDashboardView(APIView):
    """Coverage figures as of the latest recompute, or with `?as_of=YYYY-MM-DD` as kept from that date's completed
    run (docs/rules.md §9): the organisation's, for every caller, unchanged. With a filter, the figures of those
    accounts or people, read from the night's kept rows (dashboards.coverage); a rep's filtered call is within
    their own and their team's accounts."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter(
            "as_of", OpenApiTypes.DATE, required=False,
            description="The figures as of this date's completed run, kept from that night (404 when there was none)."),
            *FILTER_PARAMETERS],
        responses={200: dict, 400: dict, 404: dict},
        description="Unfiltered (every caller): `as_of`, `by_state` (every state: accounts, "
                    "compliant, under_covered, grace) and `breadth` (target_accounts, touched_30d, touched_90d) — "
                    "docs/rules.md §9. Filtered by state, industry, region or ICP tier: the same keys for those "
                    "accounts, plus `scope` and `filters`. Narrowed to people (team or owner; a rep's call always is): "
                    "`as_of`, `scope`, `filters`, `by_state_and_role` (per state and responsible role: accounts, "
                    "compliant, under_covered, grace; an account counts once per role) and `breadth` of those "
                    "people's accounts (each once, with the account filters too). 400 naming the parameter "
                    "that cannot be read or lies outside the caller's scope.",
    )
    def get(self, request):
        if _filtered(request):
            view = coverage_view(request_filters(request))
            if view.missing:
                raise NotFound(f"No completed recompute as of {view.filters.as_of.isoformat()}.")
            return Response(view.as_json())
        raw = request.query_params.get("as_of")
        if raw is None:
            return Response(coverage_figures())
        try:
            as_of = dt.date.fromisoformat(raw)
        except ValueError:
            raise ValidationError({"as_of": [f"'{raw}' is not a date: use YYYY-MM-DD."]}) from None
        figures = kept_coverage_figures(as_of=as_of)
        if figures is None:
            raise NotFound(f"No completed recompute as of {as_of.isoformat()}.")
        return Response(figures)


class CoverageTrendsView(APIView):
    """Each completed night from `from` to `to` (both included; the 90 days to today by default), oldest first, as the
    night kept its figures: alerts opened and resolved by its run, compliance per state, breadth (docs/rules.md §9).
    Read from the kept snapshots and runs: a fixed number of queries, whatever the period. With a filter, or for a
    rep (their own and their team's figures), from the nights' kept depth and breadth rows (dashboards.trends)."""

    permission_classes = [HasRole]
    read_roles = EVERYONE

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=False,
                             description=f"First date, included (default: the {DEFAULT_DAYS} days to `to`, "
                                         "both included)."),
            OpenApiParameter("to", OpenApiTypes.DATE, required=False,
                             description=f"Last date (default: today, business time zone); at most {MAX_DAYS} days "
                                         "after `from`."),
            *FILTER_PARAMETERS,
        ],
        responses=dict,
        description="`nights`: one object per completed night (the latest completed run of each date): `as_of`, "
                    "`run`, `alerts_opened`, `alerts_resolved`, `by_state` (every state: accounts, compliant, "
                    "under_covered, grace, `rate` = compliant ÷ (compliant + under_covered + grace), null for a state "
                    "without requirements) and `breadth` (target_accounts, touched_30d, touched_90d and their rates "
                    "of target_accounts). With a filter, also `scope` and `filters`; narrowed to people (team, owner; "
                    "a rep always is) `by_state` counts an account once per responsible role those people hold, "
                    "`breadth` each account of those people once, and `alerts_opened`, `alerts_resolved` are null "
                    "(kept for the organisation only). "
                    "400 naming `from` or `to` on a malformed date, a reversed or too long period, and naming any "
                    "filter that cannot be read or lies outside the caller's scope.",
    )
    def get(self, request):
        with refused_as_400():
            _start, _end, trends = trend_figures(request_filters(request))
        return Response(trends)
