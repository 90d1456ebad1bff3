"""The nightly pipeline's Celery entry points: the finish step waits for chunks not done, less often as it waits."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from engine.models import RecomputeRun
from engine.services import recompute_run_start
from engine.tasks import finish_recompute_task, finish_retry_countdown
from tests.factories import AccountFactory

D = dt.date(2026, 7, 20)


class Retried(Exception):
    pass


def test_the_finish_step_looks_again_after_5_s_then_less_often_up_to_a_minute():
    assert [finish_retry_countdown(n) for n in range(7)] == [5, 10, 20, 40, 60, 60, 60]
    assert finish_retry_countdown(10_000) == 60


@pytest.mark.django_db
@pytest.mark.parametrize("retries, countdown", [(0, 5), (3, 40), (9, 60)])
def test_a_run_with_a_chunk_not_done_is_finished_later(monkeypatch, retries, countdown):
    AccountFactory()
    run = recompute_run_start(as_of=D)  # its one chunk is not done
    asked = []

    def retry(exc, countdown):
        asked.append((type(exc), countdown))
        raise Retried

    monkeypatch.setattr(finish_recompute_task, "retry", retry)
    finish_recompute_task.push_request(retries=retries)
    try:
        with pytest.raises(Retried):
            finish_recompute_task.run(run.id)
    finally:
        finish_recompute_task.pop_request()
    assert asked == [(ValidationError, countdown)]
    assert RecomputeRun.objects.get(id=run.id).status == RecomputeRun.Status.RUNNING


@pytest.mark.django_db
def test_a_failed_run_is_not_waited_for(monkeypatch):
    AccountFactory()
    run = recompute_run_start(as_of=D)
    RecomputeRun.objects.filter(id=run.id).update(status=RecomputeRun.Status.FAILED)
    monkeypatch.setattr(finish_recompute_task, "retry", lambda **kwargs: pytest.fail("retried a failed run"))
    with pytest.raises(ValidationError, match="not done yet"):
        finish_recompute_task.run(run.id)
