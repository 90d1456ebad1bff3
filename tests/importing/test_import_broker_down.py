"""Redis down must not fail an import commit from the page (core.dispatch): the run is recorded queued, the
publish fails fast and is logged, the page answers and says "queued", and the sweep sends the run once the broker
is back — imported once. The broker is "down" by pointing the app at a closed port; "back" is the real Redis at
REDIS_URL, database 6."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Account
from core.dispatch import PENDING_WORK, dispatch_sweep
from core.models import ImportRun
from coverage_console.celery import app
from tests.celery_broker.brokers import use_broker

pytestmark = pytest.mark.django_db
BROKER_DB = 6
IMPORTS = tuple(work for work in PENDING_WORK if work.model == "core.ImportRun")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/{BROKER_DB}"


@pytest.fixture
def broker_down(settings):
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    use_broker(app, _closed_port_url())
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER = False
    yield
    use_broker(app, previous[0])
    app.conf.task_always_eager = previous[1]


def _commit_with_the_broker_down(client, admin_user, callbacks, caplog) -> ImportRun:
    client.force_login(admin_user)
    file = SimpleUploadedFile("a.csv", b"external_id,name\nR1,Redis Down KK\n", content_type="text/csv")
    assert client.post("/imports/", {"kind": "accounts", "file": file}).status_code == 302
    upload = ImportRun.objects.get()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="core.dispatch"), callbacks(execute=True) as published:
        response = client.post(f"/imports/{upload.pk}/", {"action": "commit", "map:external_id": "external_id",
                                                           "map:name": "name"})
    assert response.status_code == 302 and time.monotonic() - started < 3
    assert published and "could not queue core.import_file" in caplog.text
    return ImportRun.objects.order_by("-id").first()


def test_a_commit_with_the_broker_down_answers_at_once_and_the_run_stays_queued(
        client, admin_user, broker_down, django_capture_on_commit_callbacks, caplog):
    run = _commit_with_the_broker_down(client, admin_user, django_capture_on_commit_callbacks, caplog)
    assert run.status == ImportRun.Status.PENDING and "job" in run.options
    page = client.get(f"/imports/{run.pk}/")
    assert page.status_code == 200 and "待機中" in page.content.decode()  # "Queued", in the admin's Japanese
    assert Account.objects.count() == 0


def test_the_sweep_sends_a_queued_import_once_the_broker_is_back_and_it_imports_once(
        require_redis, client, admin_user, broker_down, django_capture_on_commit_callbacks, caplog):
    import redis

    run = _commit_with_the_broker_down(client, admin_user, django_capture_on_commit_callbacks, caplog)
    later = timezone.now() + dt.timedelta(minutes=2)
    assert dispatch_sweep(now=later, kinds=IMPORTS) == 0  # still down: nothing sent, nothing raised

    base = require_redis.rsplit("/", 1)[0] if require_redis.count("/") > 2 else require_redis
    back = f"{base}/{BROKER_DB}"
    use_broker(app, back)
    broker = redis.Redis.from_url(back)
    broker.delete("celery")
    try:
        assert dispatch_sweep(kinds=IMPORTS) == 0  # recorded under a minute ago
        assert dispatch_sweep(now=later, kinds=IMPORTS) == 1  # the queued run only, not the upload it came from
        [message] = [json.loads(raw)["headers"] for raw in broker.lrange("celery", 0, -1)]
        assert (message["task"], message["argsrepr"]) == ("core.import_file", f"({run.id},)")
    finally:
        broker.delete("celery")
    app.tasks["core.import_file"].apply(args=(run.id,))
    app.tasks["core.import_file"].apply(args=(run.id,))  # delivered twice: claimed once
    run.refresh_from_db()
    assert (run.status, run.created) == (ImportRun.Status.SUCCEEDED, 1)
    assert list(Account.objects.values_list("external_id", flat=True)) == ["R1"]
    assert dispatch_sweep(now=later, kinds=IMPORTS) == 0
