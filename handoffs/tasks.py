from celery import shared_task

from . import services


@shared_task(name="handoffs.sla_sweep")
def handoff_sla_sweep_task() -> dict:
    """Raise SLA alerts and escalations (docs/rules.md §8); beat runs it every 15 minutes (settings)."""
    return services.handoff_sla_sweep().as_json()
