"""The database connection dropped in the middle of a night (PostgreSQL): the run fails visibly, with the error,
and a rerun for the same date leaves exactly what an undisturbed night leaves on the same data."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from django.db import InterfaceError, OperationalError, connection

from engine import statements
from engine.models import RecomputeRun
from engine.services import recompute_all
from tests.engine import nights
from tests.engine.nights import D

NEXT_NIGHT = D + dt.timedelta(days=10)


def _terminate_backend_of(victim) -> None:
    """End `victim`'s server process from another connection, as an administrator (or a failover) would, and
    wait until it has ended."""
    pid = victim.connection.info.backend_pid
    with psycopg.connect(**victim.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


# Transactional (a connection is ended for real), not restored from the serialized database: that restore fails in
# set-up after any transactional test that was not (its flush makes the content types again under new ids). The
# configuration the night reads is loaded here instead.
@pytest.mark.django_db(transaction=True)
def test_a_night_whose_connection_drops_fails_visibly_and_its_rerun_ends_as_an_undisturbed_night(
        require_postgres, monkeypatch):
    nights.seed_configuration()
    nights.build()
    recompute_all(as_of=D, chunk_size=5)
    nights.change(on=NEXT_NIGHT - dt.timedelta(days=2))
    night = recompute_all(as_of=NEXT_NIGHT, chunk_size=3)
    assert night.mode == RecomputeRun.Mode.INCREMENTAL and night.chunks_total >= 3
    undisturbed = nights.snapshot()
    assert undisturbed["alerts"] and undisturbed["transitions"] and undisturbed["coverage"]

    nights.wipe()
    nights.build()
    recompute_all(as_of=D, chunk_size=5)
    nights.change(on=NEXT_NIGHT - dt.timedelta(days=2))
    read_accounts, calls = statements.read_accounts, []

    def dropping_on_the_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            _terminate_backend_of(connection)
        return read_accounts(*args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(statements, "read_accounts", dropping_on_the_second_chunk)
        with pytest.raises((OperationalError, InterfaceError)):
            recompute_all(as_of=NEXT_NIGHT, chunk_size=3)
    failed = RecomputeRun.objects.get(as_of=NEXT_NIGHT)
    assert failed.status == RecomputeRun.Status.FAILED and failed.finished_at is not None
    assert "terminating connection due to administrator command" in failed.error
    assert failed.chunks.filter(done=True).count() == 1  # the first chunk's work stays; the second's was rolled back

    rerun = recompute_all(as_of=NEXT_NIGHT, chunk_size=3)
    assert rerun.status == RecomputeRun.Status.COMPLETED
    assert nights.snapshot() == undisturbed
