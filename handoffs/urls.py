"""The handoff pages (docs/rules.md §8): the inbox, the rules editor and the business calendar, the feedback figures.
Each part keeps its routes beside its views."""

from __future__ import annotations

from .feedback_urls import urlpatterns as feedback_patterns
from .inbox_urls import urlpatterns as inbox_patterns
from .rules_urls import urlpatterns as rules_patterns

app_name = "handoffs"

urlpatterns = [*inbox_patterns, *rules_patterns, *feedback_patterns]
