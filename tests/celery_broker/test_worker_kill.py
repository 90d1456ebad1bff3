"""The nightly pipeline through a real Redis broker and real `celery worker` processes.

A worker is killed with SIGKILL in the middle of a run and another started: the chunk it was running is
redelivered (acks_late + reject_on_worker_lost, short visibility timeout) and, being idempotent and
transactional, leaves no duplicate and no missing alert or transition.
"""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from accounts.models import Account
from engine.models import Alert, CoverageRow, RecomputeChunk, RecomputeRun
from segments.models import StateTransition
from standards.selectors import requirement_specs_by_state
from tests.celery_broker.brokers import use_broker as _use_broker
from tests.factories import AccountFactory, LeadFactory, OpportunityFactory

ROOT = Path(__file__).resolve().parents[2]
BROKER_DB = 7
AS_OF = dt.date(2026, 7, 20)


def _worker_env(redis_url: str) -> dict:
    db = connection.settings_dict
    database_url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = dict(os.environ)
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, DJANGO_DEBUG="1", CELERY_VISIBILITY_TIMEOUT="8",
               CELERY_RESTORE_SCAN_SECONDS="1",
               DJANGO_CONN_MAX_AGE="0")
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def _start_worker(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "coverage_console", "worker", "--concurrency", "1", "--pool", "prefork",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO", "--hostname", f"w{time.time_ns()}@test"],
        cwd=ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True,  # noqa: SIM115
    )


def _stop(proc: subprocess.Popen, sig=signal.SIGKILL) -> None:
    try:
        os.killpg(proc.pid, sig)
        os.killpg(proc.pid, signal.SIGCONT)  # a worker frozen by the test takes its SIGTERM only once thawed
    except ProcessLookupError:
        pass
    proc.wait(timeout=20)


def _chunks_in_hand(broker) -> list[str]:
    """Chunk tasks delivered to a worker and not acknowledged yet: kombu keeps them in the `unacked` hash until the
    worker acknowledges them (acks_late: after the task), or restores them to the queue once their visibility
    timeout has passed."""
    return [message["headers"]["id"] for message, _exchange, _routing_key in map(json.loads, broker.hvals("unacked"))
            if message["headers"]["task"] == "engine.recompute_chunk"]


def _make_accounts() -> None:
    """240 accounts, a third each with an open deal, a hot lead or nothing: every state's requirements in play."""
    assert requirement_specs_by_state(), "the default standard must be loaded"
    for i in range(240):
        account = AccountFactory(external_id=f"K{i:04d}")
        if i % 3 == 0:
            OpportunityFactory(account=account, opened_on=AS_OF - dt.timedelta(days=10))
        elif i % 3 == 1:
            LeadFactory(account=account, created_on=AS_OF - dt.timedelta(days=10), score=80)


def _kill_while_holding_a_chunk(worker: subprocess.Popen, *, run: RecomputeRun, broker, log: Path) -> None:
    """Killed with a chunk in its hands (delivered, not acknowledged), not between two chunks: the case that needs
    the chunk delivered again. The worker is frozen (SIGSTOP) before it is looked at, so it cannot finish that
    chunk between the look and the kill; thawed and looked at again if it held none."""
    deadline = time.monotonic() + 60
    while True:
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        if RecomputeChunk.objects.filter(run=run, done=True).count() >= 5:
            os.killpg(worker.pid, signal.SIGSTOP)
            time.sleep(0.05)  # what it sent Redis before it stopped has arrived
            if _chunks_in_hand(broker):
                break
            os.killpg(worker.pid, signal.SIGCONT)
        time.sleep(0.005)
    _stop(worker)  # SIGKILL the whole (frozen) worker, mid-run
    assert RecomputeChunk.objects.filter(run=run, done=True).count() < run.chunks_total
    assert _chunks_in_hand(broker), "the killed worker held no chunk"


def _wait_until_completed(run_id: int, log: Path) -> None:
    """The killed chunk comes back once its visibility timeout (8 s: longer than a worker takes to start, so not
    at the new worker's first scan) has passed, at the next scan for such messages (every second here; kombu's
    default, 100 s, would miss this deadline)."""
    deadline = time.monotonic() + 60
    while RecomputeRun.objects.get(id=run_id).status != RecomputeRun.Status.COMPLETED:
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.2)


def _assert_every_account_evaluated_once(run_id: int) -> None:
    requirements = requirement_specs_by_state()
    accounts = list(Account.objects.values_list("id", "state"))
    assert len(accounts) == 240 and all(state for _, state in accounts)
    assert CoverageRow.objects.count() == sum(len(requirements.get(state, ())) for _, state in accounts)
    assert StateTransition.objects.count() == 240  # one initial classification each: nothing done twice
    under = set(CoverageRow.objects.filter(status="under_covered").values_list("account_id", "state", "requirement"))
    open_alerts = list(Alert.objects.filter(status="open").values_list("account_id", "state", "requirement"))
    assert len(open_alerts) == len(set(open_alerts)) == len(under) > 0
    assert set(open_alerts) == under
    assert RecomputeRun.objects.get(id=run_id).accounts == 240


# serialized_rollback: an earlier transactional test may have flushed the default standard; reload it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_run_leaves_no_duplicate_and_no_missing_alert(require_postgres, require_redis, tmp_path):
    import redis

    from coverage_console.celery import app
    from engine.tasks import run_nightly_recompute

    base = require_redis.rsplit("/", 1)[0] if require_redis.count("/") > 2 else require_redis
    redis_url = f"{base}/{BROKER_DB}"
    broker = redis.Redis.from_url(redis_url)
    broker.flushdb()
    _make_accounts()
    env = _worker_env(redis_url)
    log = tmp_path / "worker.log"
    previous = (app.conf.task_always_eager, app.conf.broker_url)
    _use_broker(app, redis_url)
    app.conf.task_always_eager = False
    first = _start_worker(env, log)
    second = None
    try:
        run_id = run_nightly_recompute(as_of=AS_OF.isoformat(), chunk_size=4)
        run = RecomputeRun.objects.get(id=run_id)
        assert run.chunks_total == 60
        _kill_while_holding_a_chunk(first, run=run, broker=broker, log=log)
        second = _start_worker(env, log)
        _wait_until_completed(run_id, log)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                _stop(proc, signal.SIGTERM)
        app.conf.task_always_eager = previous[0]
        _use_broker(app, previous[1])
    _assert_every_account_evaluated_once(run_id)
