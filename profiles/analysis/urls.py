"""The ICP analysis pages (issue #5), appended to profiles/urls.py under the "profiles" namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("learn/", views.LearnView.as_view(), name="learn"),
    path("breadth/", views.BreadthView.as_view(), name="breadth"),
    path("analysis/refresh/", views.AnalysisRefreshView.as_view(), name="analysis-refresh"),
    path("analysis/refresh/<int:pk>/", views.AnalysisRefreshStatusView.as_view(), name="analysis-refresh-status"),
    path("<int:pk>/review/", views.ReviewView.as_view(), name="review"),
    path("<int:pk>/validate/", views.ValidateView.as_view(), name="validate"),
    path("<int:pk>/accounts/<int:account_pk>/", views.ExplainView.as_view(), name="explain"),
]
