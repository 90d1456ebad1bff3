from django.urls import path

from . import views

app_name = "engine"

urlpatterns = [
    path("alerts/", views.AlertListView.as_view(), name="alerts"),
    path("alerts/export.csv", views.AlertExportView.as_view(), name="alerts-export"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge_view, name="alert-acknowledge"),
    path("alerts/<int:pk>/snooze/", views.alert_snooze_view, name="alert-snooze"),
    path("runs/", views.RunListView.as_view(), name="runs"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run-detail"),
]
