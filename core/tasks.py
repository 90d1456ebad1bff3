from celery import shared_task

from .dispatch import dispatch_sweep
from .services import import_run_job


@shared_task(name="core.import_file", acks_late=True)
def import_file_task(run_id: int, *legacy) -> str:
    """An import queued by the page or the API (core.services.import_queue), dry run or commit, off the request;
    progress is written to the ImportRun as it goes. (`legacy`: a message queued before the job moved into the
    run's options carries encoding, mapping and skip_invalid.)"""
    return import_run_job(run_id=run_id, legacy=legacy)


@shared_task(name="core.dispatch_sweep", ignore_result=True)
def dispatch_sweep_task() -> int:
    """Every minute (beat): publish recorded work a broker outage left undispatched (core.dispatch)."""
    return dispatch_sweep()
