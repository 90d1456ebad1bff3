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


@shared_task(name="profiles.analysis_refresh", acks_late=True, expires=6 * 3600)
def analysis_refresh_task(run_id: int | None = None) -> str:
    """Recompute the ICP analysis snapshots (a few full scans at a million accounts) outside any request.

    With a run id (the Refresh button, the hook after rescoring) progress goes to that AnalysisRefresh; without
    one (queued after the nightly recompute) a run is recorded here first.
    """
    if run_id is None:
        run_id = services.analysis_refresh_record(actor=None, reason="nightly")[0].id
    return services.analysis_refresh_execute(run_id=run_id)
