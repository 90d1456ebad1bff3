"""ICP pages under the "profiles" namespace: the profile editor (list, edit, versions, activation, JSON, rescoring
progress) here, then the analysis pages (review, explanation, learning, validation, breadth) of analysis/urls.py."""

from django.urls import path

from . import views
from .analysis.urls import urlpatterns as analysis_urlpatterns

app_name = "profiles"

urlpatterns = [
    path("", views.ProfileListView.as_view(), name="list"),
    path("new/", views.ProfileEditView.as_view(), name="create"),
    path("import/", views.ProfileImportView.as_view(), name="import"),
    path("rescoring/<int:pk>/", views.RescoreRunView.as_view(), name="rescore-run"),
    path("<int:pk>/", views.ProfileDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ProfileEditView.as_view(), name="edit"),
    path("<int:pk>/active/", views.ProfileActivateView.as_view(), name="activate"),
    path("<int:pk>/versions/", views.ProfileVersionsView.as_view(), name="versions"),
    path("<int:pk>/export.json", views.ProfileExportView.as_view(), name="export"),
    *analysis_urlpatterns,
]
