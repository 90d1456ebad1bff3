"""Routes of the handoff inbox pages: the inbox and its actions (handoffs.inbox_views)."""

from __future__ import annotations

from django.urls import path

from . import inbox_views

urlpatterns: list = [
    path("", inbox_views.InboxView.as_view(), name="list"),
    path("<int:pk>/accept/", inbox_views.HandoffAcceptView.as_view(), name="accept"),
    path("<int:pk>/reject/", inbox_views.HandoffRejectView.as_view(), name="reject"),
    path("<int:pk>/reassign/", inbox_views.HandoffReassignView.as_view(), name="reassign"),
    path("alerts/<int:pk>/acknowledge/", inbox_views.HandoffAlertAcknowledgeView.as_view(), name="alert-acknowledge"),
]
