from django.urls import path

from . import changes_views, views

app_name = "dashboards"

urlpatterns = [
    path("", views.CoverageDashboardPage.as_view(), name="coverage"),
    path("trends/", views.TrendsPage.as_view(), name="trends"),
    path("changes/", changes_views.ChangesPage.as_view(), name="changes"),
]
