from django.urls import path

from . import imports_views, views

app_name = "core"

urlpatterns = [
    path("language/", views.set_language, name="set_language"),
    path("imports/", imports_views.ImportListView.as_view(), name="imports"),
    path("imports/<int:pk>/", imports_views.ImportDetailView.as_view(), name="import-detail"),
    path("imports/<int:pk>/errors.csv", imports_views.ImportErrorsView.as_view(), name="import-errors"),
]
