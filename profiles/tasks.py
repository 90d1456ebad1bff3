from celery import shared_task

from . import services


@shared_task(name="profiles.rescore_accounts", acks_late=True)
def rescore_accounts_task(run_id: int | None = None) -> int | str:
    """Rescoring a million accounts after a profile change runs here, not in the request.

    With a run id (the pages, the API, import_icp) progress is written to that RescoreRun; without one
    (older queued messages) it rescores and returns the number of accounts read.
    """
    if run_id is None:
        return services.rescore_accounts()
    return services.rescore_run_execute(run_id=run_id)
