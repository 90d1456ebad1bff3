from __future__ import annotations

from django.db import models


class DailySnapshot(models.Model):
    """Coverage figures as of one recompute date, kept for trends (docs/rules.md §9)."""

    as_of = models.DateField(unique=True)
    by_state = models.JSONField(default=dict)
    breadth = models.JSONField(default=dict)
    by_role = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-as_of"]
