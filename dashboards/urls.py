from django.urls import path

from . import changes_views, outcomes_views, views
from . import content_mix_views, depth_views, funnel_views

app_name = "dashboards"

urlpatterns = [
    path("", views.CoverageDashboardPage.as_view(), name="coverage"),
    path("trends/", views.TrendsPage.as_view(), name="trends"),
    path("changes/", changes_views.ChangesPage.as_view(), name="changes"),
    path("outcomes/", outcomes_views.OutcomesPage.as_view(), name="outcomes"),
    path("workload/", outcomes_views.WorkloadPage.as_view(), name="workload"),
    path("depth/", depth_views.DepthPage.as_view(), name="depth"),
    path("funnel/", funnel_views.FunnelPage.as_view(), name="funnel"),
    path("content-mix/", content_mix_views.ContentMixPage.as_view(), name="content_mix"),
]
