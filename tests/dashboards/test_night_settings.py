"""The night's funnel, movement and content mix statements (dashboards.funnel.room_to_group) get PostgreSQL's room to
group (work_mem, no JIT) for themselves only: recompute_run_finish's transaction, which holds the run, goes on with
its own settings after them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from core.choices import State
from dashboards.funnel import funnel_snapshot_write
from dashboards.models import ContentMixSnapshot, FunnelSnapshot
from engine.models import AccountEvaluation
from standards.whatif_sql import PARALLEL, counts_in_state
from tests.engine.nights import seed_configuration
from tests.factories import AccountFactory, TouchFactory

D = dt.date(2026, 7, 20)


def _settings() -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('work_mem'), current_setting('jit')")
        return cursor.fetchone()


@pytest.mark.django_db
def test_the_nights_grouping_settings_end_with_its_statements(require_postgres, sales):
    seed_configuration()
    account = AccountFactory(state=State.ACTIVE, owner_sales=sales)
    AccountEvaluation.objects.create(account=account, state=State.ACTIVE)
    TouchFactory(account=account, occurred_on=D, kind="human", performer_role="sales")
    before = _settings()
    assert before[0] != "256MB"

    funnel_snapshot_write(as_of=D)

    assert FunnelSnapshot.objects.filter(as_of=D, state=State.ACTIVE).exists()
    assert ContentMixSnapshot.objects.filter(as_of=D).exists()  # the content mix statement ran as well
    assert _settings() == before


@pytest.mark.django_db
def test_the_what_ifs_parallel_settings_end_with_its_statement(require_postgres, sales):
    """The what-if's counts (standards.whatif_sql) run with parallel workers and room to group, and the request's
    transaction goes on with its own settings after them (core.dbsettings)."""
    seed_configuration()
    account = AccountFactory(state=State.ACTIVE, owner_sales=sales)
    AccountEvaluation.objects.create(account=account, state=State.ACTIVE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('work_mem'), current_setting('parallel_setup_cost')")
        before = cursor.fetchone()
    assert before[0] != PARALLEL["work_mem"]
    classes, _alerts = counts_in_state(as_of=D, requirements={}, states=[State.ACTIVE])
    assert classes == {(State.ACTIVE, ""): 1}
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('work_mem'), current_setting('parallel_setup_cost')")
        assert cursor.fetchone() == before
