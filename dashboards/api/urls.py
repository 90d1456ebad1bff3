from django.urls import path

from .views import CoverageDashboardView

urlpatterns = [path("dashboards/coverage/", CoverageDashboardView.as_view(), name="api-dashboard-coverage")]
