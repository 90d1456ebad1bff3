"""Routes of the handoff rules editor and the business calendar page (handoffs.rules_views)."""

from __future__ import annotations

from django.urls import path

from . import rules_views as views

urlpatterns = [
    path("rules/", views.RulesView.as_view(), name="rules"),
    path("rules/new/", views.RuleFormView.as_view(), name="rule-create"),
    path("rules/preview/", views.RulePreviewView.as_view(), name="rule-preview"),
    path("rules/<int:pk>/", views.RuleFormView.as_view(), name="rule-edit"),
    path("rules/<int:pk>/delete/", views.RuleDeleteView.as_view(), name="rule-delete"),
    path("rules/<int:pk>/move/", views.RuleMoveView.as_view(), name="rule-move"),
    path("calendar/", views.CalendarView.as_view(), name="calendar"),
    path("calendar/closed-days/<int:pk>/delete/", views.ClosedDayDeleteView.as_view(), name="calendar-day-delete"),
]
