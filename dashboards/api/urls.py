from django.urls import path

from .changes import ChangesDashboardView
from .views import CoverageDashboardView, CoverageTrendsView

urlpatterns = [
    path("dashboards/coverage/", CoverageDashboardView.as_view(), name="api-dashboard-coverage"),
    path("dashboards/trends/", CoverageTrendsView.as_view(), name="api-dashboard-trends"),
    path("dashboards/changes/", ChangesDashboardView.as_view(), name="api-dashboard-changes"),
]
