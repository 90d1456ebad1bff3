from __future__ import annotations

from celery import shared_task

from .night_figures import night_figures_write


@shared_task(name="dashboards.night_figures", acks_late=True, expires=6 * 3600)
def night_figures_task(figures_id: int) -> str:
    """Keep a completed night's dashboard figures outside the night (dashboards.night_figures)."""
    return night_figures_write(figures_id=figures_id)
