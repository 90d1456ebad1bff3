from pathlib import Path

from celery import shared_task

from .dispatch import dispatch_sweep
from .models import ImportRun
from .services import import_file


@shared_task(name="core.import_file", acks_late=True)
def import_file_task(run_id: int, encoding: str | None, mapping: dict, skip_invalid: bool) -> str:
    """The import page's commit, off the request; progress is written to the ImportRun as it goes."""
    from .imports_views import errors_path  # cycle: core.imports_views imports this module to queue the task

    run = ImportRun.objects.get(id=run_id)
    if run.status not in (ImportRun.Status.PENDING,):
        return run.status  # redelivered after it ran: nothing to do
    run = import_file(kind=run.kind, path=Path(run.options["stored_path"]), file_name=run.file_name,
                      user=run.created_by, encoding=encoding, mapping=mapping, skip_invalid=skip_invalid,
                      errors_out=errors_path(run), run=run)
    return run.status


@shared_task(name="core.dispatch_sweep", ignore_result=True)
def dispatch_sweep_task() -> int:
    """Every minute (beat): publish recorded work a broker outage left undispatched (core.dispatch)."""
    return dispatch_sweep()
