"""Routes of the handoff inbox pages."""

from __future__ import annotations

urlpatterns: list = []
