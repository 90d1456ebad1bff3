from django.urls import path

from .changes import ChangesDashboardView
from .depth import DepthDashboardView
from .funnel import ContentMixView, FunnelView
from .outcomes import OutcomesView, WorkloadView
from .views import CoverageDashboardView, CoverageTrendsView

urlpatterns = [
    path("dashboards/coverage/", CoverageDashboardView.as_view(), name="api-dashboard-coverage"),
    path("dashboards/trends/", CoverageTrendsView.as_view(), name="api-dashboard-trends"),
    path("dashboards/changes/", ChangesDashboardView.as_view(), name="api-dashboard-changes"),
    path("dashboards/outcomes/", OutcomesView.as_view(), name="api-dashboard-outcomes"),
    path("dashboards/workload/", WorkloadView.as_view(), name="api-dashboard-workload"),
    path("dashboards/depth/", DepthDashboardView.as_view(), name="api-dashboard-depth"),
    path("dashboards/funnel/", FunnelView.as_view(), name="api-dashboard-funnel"),
    path("dashboards/content-mix/", ContentMixView.as_view(), name="api-dashboard-content-mix"),
]
