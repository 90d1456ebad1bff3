from celery import shared_task

from . import services


@shared_task(name="profiles.rescore_accounts", acks_late=True)
def rescore_accounts_task() -> int:
    """Rescoring a million accounts after a profile change runs here, not in the request."""
    return services.rescore_accounts()
