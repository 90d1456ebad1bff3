"""Routes of the handoff feedback pages."""

from __future__ import annotations

urlpatterns: list = []
