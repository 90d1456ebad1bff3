import datetime as dt

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboards.selectors import coverage_figures, kept_coverage_figures


class CoverageDashboardView(APIView):
    """Coverage figures as of the latest recompute, or with `?as_of=YYYY-MM-DD` as kept from that date's completed
    run (docs/rules.md §9)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter(
            "as_of", OpenApiTypes.DATE, required=False,
            description="The figures as of this date's completed run, kept from that night (404 when there was none).")],
        responses=dict,
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
