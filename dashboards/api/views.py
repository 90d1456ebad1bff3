from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboards.selectors import coverage_figures


class CoverageDashboardView(APIView):
    """Coverage figures as of the latest recompute (docs/rules.md §9)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=dict)
    def get(self, request):
        return Response(coverage_figures())
