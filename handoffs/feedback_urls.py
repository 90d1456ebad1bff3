"""Routes of the handoff feedback pages (docs/rules.md §8, "Handoff feedback")."""

from __future__ import annotations

from django.urls import path

from . import feedback_views

urlpatterns: list = [
    path("feedback/", feedback_views.FeedbackView.as_view(), name="feedback"),
    path("feedback/<str:dimension>.csv", feedback_views.FeedbackExportView.as_view(), name="feedback-export"),
]
