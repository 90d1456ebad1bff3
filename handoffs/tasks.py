from celery import shared_task

from . import services


@shared_task(name="handoffs.sla_sweep")
def handoff_sla_sweep_task() -> int:
    return services.handoff_sla_sweep()
