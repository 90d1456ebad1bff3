"""Celery entry points of the segments app: thin, each calling one service."""

from __future__ import annotations

from celery import shared_task

from .threshold_preview import threshold_preview_run


@shared_task(name="segments.threshold_preview", acks_late=True)
def threshold_preview_task(job_id: int) -> bool:
    """A threshold preview (segments.threshold_preview): claimed queued -> running, so a message delivered twice
    computes it once."""
    return threshold_preview_run(job_id=job_id)
