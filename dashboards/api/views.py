import datetime as dt

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import EVERYONE, HasRole
from dashboards.selectors import coverage_figures, kept_coverage_figures
from dashboards.trends import DEFAULT_DAYS, MAX_DAYS, TrendRangeError, coverage_trends, trend_range


class CoverageDashboardView(APIView):
    """Coverage figures as of the latest recompute, or with `?as_of=YYYY-MM-DD` as kept from that date's completed
    run (docs/rules.md §9)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter(
            "as_of", OpenApiTypes.DATE, required=False,
            description="The figures as of this date's completed run, kept from that night (404 when there was none).")],
        responses={200: dict, 400: dict, 404: dict},
    )
    def get(self, request):
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
    Read from the kept snapshots and runs: two queries, whatever the period."""

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
        ],
        responses=dict,
        description="`nights`: one object per completed night (the latest completed run of each date): `as_of`, "
                    "`run`, `alerts_opened`, `alerts_resolved`, `by_state` (every state: accounts, compliant, "
                    "under_covered, grace, `rate` = compliant ÷ (compliant + under_covered + grace), null for a state "
                    "without requirements) and `breadth` (target_accounts, touched_30d, touched_90d and their rates "
                    "of target_accounts). 400 naming `from` or `to` on a malformed date, a reversed or too long "
                    "period.",
    )
    def get(self, request):
        try:
            start, end = trend_range(request.query_params.get("from"), request.query_params.get("to"))
        except TrendRangeError as refused:
            raise ValidationError(refused.errors) from None
        return Response(coverage_trends(start=start, end=end))
