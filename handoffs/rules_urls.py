"""Routes of the handoff rules pages."""

from __future__ import annotations

urlpatterns: list = []
