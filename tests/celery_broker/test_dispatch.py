"""Redis down must not fail a request after its work is saved (core.dispatch): the work is recorded first, the
publish at commit fails fast and is only logged, the row stays queued, and the sweep sends it once the broker is
back. The broker is "down" by pointing the app at a closed port; "back" is the real Redis at REDIS_URL."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import time

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from contacts.models import Touch
from core.dispatch import PENDING_WORK, dispatch_sweep
from coverage_console.celery import app
from profiles.models import RescoreRun
from profiles.services import rescore_queue
from tests.celery_broker.brokers import use_broker

pytestmark = pytest.mark.django_db
BROKER_DB = 5  # not the worker-kill test's, not the application's
PROFILE = {"name": "Manufacturers", "criteria": [{"attribute": "industry", "op": "eq", "value": "manufacturing",
                                                  "weight": 10}]}


def _closed_port_url() -> str:
    with socket.socket() as s:  # a port nothing listens on once this socket is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/{BROKER_DB}"


@pytest.fixture
def broker_down(settings):
    """Celery publishing for real (not eagerly) to a broker that refuses connections, then as it was."""
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    use_broker(app, _closed_port_url())
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER = False
    yield
    use_broker(app, previous[0])
    app.conf.task_always_eager = previous[1]


def _queued_messages(broker) -> list[dict]:
    return [json.loads(raw)["headers"] for raw in broker.lrange("celery", 0, -1)]


def test_saving_a_profile_with_the_broker_down_answers_201_at_once_and_leaves_its_rescoring_queued(
        client, marketer, broker_down, django_capture_on_commit_callbacks, caplog):
    client.force_login(marketer)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="core.dispatch"), \
            django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post("/api/v1/icp-profiles/", json.dumps(PROFILE), content_type="application/json")
    assert response.status_code == 201, response.content
    assert time.monotonic() - started < 3  # was 19 s of reconnecting to the result store
    assert callbacks  # the publish was attempted, at commit
    run = RescoreRun.objects.get()
    assert run.status == RescoreRun.Status.PENDING and run.started_at is None
    assert "could not queue profiles.rescore_accounts" in caplog.text
    marketer.language = "en"
    marketer.save()
    page = client.get(reverse("profiles:rescore-run", args=[run.pk])).content.decode()
    assert '<span class="badge">Queued</span>' in page


def test_the_sweep_sends_queued_work_once_the_broker_is_back_and_only_work_left_a_minute(
        require_redis, broker_down, marketer, django_capture_on_commit_callbacks):
    import redis

    with django_capture_on_commit_callbacks(execute=True):
        run = rescore_queue(profile=None, actor=marketer, reason="save")
    assert dispatch_sweep() == 0  # the broker is still down: nothing sent, nothing raised
    run.refresh_from_db()
    assert run.status == RescoreRun.Status.PENDING

    base = require_redis.rsplit("/", 1)[0] if require_redis.count("/") > 2 else require_redis
    back = f"{base}/{BROKER_DB}"
    use_broker(app, back)
    broker = redis.Redis.from_url(back)
    broker.delete("celery")
    try:
        assert dispatch_sweep() == 0  # recorded under a minute ago: its own publish may still be on its way
        assert dispatch_sweep(now=timezone.now() + dt.timedelta(minutes=2)) == 1
        [message] = _queued_messages(broker)
        assert (message["task"], message["argsrepr"]) == ("profiles.rescore_accounts", f"({run.id},)")
        assert message["expires"]  # a sweep's message is dropped unread rather than piling up behind a long queue
    finally:
        broker.delete("celery")
    # A worker takes it: the run is claimed and done; the sweep has no rescoring left to send.
    app.tasks["profiles.rescore_accounts"].apply(args=(run.id,))
    run.refresh_from_db()
    assert run.status == RescoreRun.Status.SUCCEEDED
    rescoring = tuple(work for work in PENDING_WORK if work.model == "profiles.RescoreRun")
    assert dispatch_sweep(now=timezone.now() + dt.timedelta(minutes=2), kinds=rescoring) == 0


def test_a_rep_logging_a_touch_with_the_broker_down_gets_200_and_the_touch_is_stored(
        client, sales, broker_down, django_capture_on_commit_callbacks):
    from accounts.models import Account
    from engine.models import Alert
    from engine.services import recompute_all
    from tests.factories import AccountFactory, OpportunityFactory

    today = timezone.localdate()
    account = AccountFactory(owner_sales=sales)
    OpportunityFactory(account=account, opened_on=today - dt.timedelta(days=3))
    recompute_all(as_of=today)
    alert = Alert.objects.get(account=account, status=Alert.Status.OPEN)
    client.force_login(sales)
    with django_capture_on_commit_callbacks(execute=True):  # a logged touch queues nothing: it is evaluated at once
        response = client.post(reverse("contacts:log", args=[account.pk]), {
            "kind": "human", "channel": "visit", "content_stage": "negotiation", "note": "Met", "alert": alert.pk,
            "next": "/today/"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert Touch.objects.filter(account=account).count() == 1
    assert Account.objects.get(id=account.id).alerts.get(id=alert.id).status == Alert.Status.RESOLVED


def test_every_kind_of_recorded_work_is_swept_every_minute_by_one_beat_entry_that_expires():
    entry = django_settings.CELERY_BEAT_SCHEDULE["dispatch-sweep"]
    assert entry["task"] == "core.dispatch_sweep" and entry["options"]["expires"] <= entry["schedule"] <= 60
    from core.tasks import dispatch_sweep_task

    assert dispatch_sweep_task.name == entry["task"] and entry["task"] in app.tasks
    assert {work.model for work in PENDING_WORK} >= {"profiles.RescoreRun", "profiles.AnalysisRefresh"}


def test_publishing_gives_up_within_a_second_or_two():
    policy = app.conf.task_publish_retry_policy
    assert policy["max_retries"] <= 1 and policy["interval_max"] <= 0.5
    assert app.conf.broker_transport_options["socket_connect_timeout"] <= 1
    assert app.conf.result_backend_transport_options["retry_policy"]["max_retries"] <= 1


def test_a_night_whose_chunks_the_broker_refuses_fails_at_once_instead_of_running_until_abandoned(broker_down):
    from engine.models import RecomputeRun
    from engine.tasks import run_nightly_recompute
    from tests.factories import AccountFactory

    AccountFactory()
    run_id = run_nightly_recompute.run(as_of="2026-07-20")
    run = RecomputeRun.objects.get(id=run_id)
    assert run.status == RecomputeRun.Status.FAILED and "the broker did not take chunk" in run.error
