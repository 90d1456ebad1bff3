from django.urls import path

from . import views

app_name = "segments"

urlpatterns = [
    path("settings/", views.StateSettingsView.as_view(), name="settings"),
    path("settings/preview/<int:pk>/", views.ThresholdPreviewView.as_view(), name="threshold-preview"),
]
