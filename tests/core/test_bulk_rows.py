"""core.bulk's row writers store what Django's bulk_create and bulk_update store: JSON, booleans, dates and
times with a time zone, and (SQLite, where the columns not named take their defaults) the fields' defaults.

On SQLite they bypass Django with executemany and prepare values themselves; on PostgreSQL they go by COPY and
UPDATE … FROM unnest. Either way a value stored differently from Django's own writes fails here."""

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Account
from core.bulk import bulk_insert_rows, bulk_update_rows, bulk_update_values
from dashboards.models import DailySnapshot
from engine.models import RecomputeChunk, RecomputeRun
from handoffs.models import Handoff

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
CHUNK_FIELDS = ("first_account_id", "last_account_id", "planned_account_ids", "done", "finished_at", "stats")
CHUNK_VALUES = [
    (1, 9, [3, 1], True, dt.datetime(2026, 7, 1, 9, 30, tzinfo=TOKYO), {"a": 1, "b": [None, "x \"q\" \\"]}),
    (10, 19, [], False, None, {}),
    (20, 29, [25], True, dt.datetime(2026, 12, 31, 23, 59, 59, 123456, tzinfo=dt.UTC), {"日本": "語"}),
]
skip_on_postgresql = pytest.mark.skipif(connection.vendor == "postgresql",
                                        reason="PostgreSQL's COPY leaves the columns not named NULL")


def stored(run: RecomputeRun, indexes: range) -> list[tuple]:
    return list(RecomputeChunk.objects.filter(run=run, index__in=indexes).order_by("index")
                .values_list(*CHUNK_FIELDS))


@pytest.fixture
def run():
    return RecomputeRun.objects.create(as_of=dt.date(2026, 7, 1))


def test_inserted_rows_read_back_as_bulk_create_stores_them(run):
    RecomputeChunk.objects.bulk_create(
        [RecomputeChunk(run=run, index=i, **dict(zip(CHUNK_FIELDS, v))) for i, v in enumerate(CHUNK_VALUES)])
    assert bulk_insert_rows(RecomputeChunk, ("run_id", "index", *CHUNK_FIELDS),
                            [(run.id, 10 + i, *v) for i, v in enumerate(CHUNK_VALUES)], batch_size=2) == 3

    assert stored(run, range(10, 13)) == stored(run, range(3)) == CHUNK_VALUES


def test_updated_rows_read_back_as_bulk_update_stores_them(run):
    blank = (0, 0, [], False, None, {})
    chunks = RecomputeChunk.objects.bulk_create(
        [RecomputeChunk(run=run, index=i, **dict(zip(CHUNK_FIELDS, blank))) for i in range(6)])
    by_django, by_rows = chunks[:3], chunks[3:]
    for chunk, values in zip(by_django, CHUNK_VALUES):
        for field, value in zip(CHUNK_FIELDS, values):
            setattr(chunk, field, value)
    RecomputeChunk.objects.bulk_update(by_django, CHUNK_FIELDS)

    assert bulk_update_rows(RecomputeChunk, [(c.pk, *v) for c, v in zip(by_rows, CHUNK_VALUES)], CHUNK_FIELDS,
                            batch_size=2) == 3

    assert stored(run, range(3, 6)) == stored(run, range(3)) == CHUNK_VALUES


def test_updated_instances_read_back_as_bulk_update_stores_them(run):
    blank = (0, 0, [], False, None, {})
    chunks = RecomputeChunk.objects.bulk_create(
        [RecomputeChunk(run=run, index=i, **dict(zip(CHUNK_FIELDS, blank))) for i in range(6)])
    for chunk, values in zip(chunks, CHUNK_VALUES * 2):
        for field, value in zip(CHUNK_FIELDS, values):
            setattr(chunk, field, value)
    RecomputeChunk.objects.bulk_update(chunks[:3], CHUNK_FIELDS)

    assert bulk_update_values(RecomputeChunk, chunks[3:], CHUNK_FIELDS, batch_size=2) == 3

    assert stored(run, range(3, 6)) == stored(run, range(3)) == CHUNK_VALUES


@skip_on_postgresql
def test_columns_not_named_take_their_defaults_as_bulk_create_gives_them():
    before = timezone.now()
    DailySnapshot.objects.bulk_create([DailySnapshot(as_of=dt.date(2026, 7, 1))])
    assert bulk_insert_rows(DailySnapshot, ("as_of",), [(dt.date(2026, 7, 2),), (dt.date(2026, 7, 3),)]) == 2

    rows = list(DailySnapshot.objects.order_by("as_of").values_list("as_of", "by_state", "breadth", "by_role"))
    assert rows == [(dt.date(2026, 7, day), {}, {}, {}) for day in (1, 2, 3)]
    assert all(before <= s.created_at <= timezone.now() for s in DailySnapshot.objects.all())


@skip_on_postgresql
def test_columns_not_named_with_a_database_default_take_it():
    account = Account.objects.create(name="Acme")
    due = dt.datetime(2026, 7, 2, 18, tzinfo=TOKYO)
    attnames = ("account_id", "from_state", "to_state", "from_role", "to_role", "model", "created_on", "due_at")
    values = (account.id, "HOT_LEAD", "NEGOTIATION", "inside_sales", "sales", "baton", dt.date(2026, 7, 1), due)

    assert bulk_insert_rows(Handoff, attnames, [values]) == 1

    assert list(Handoff.objects.values_list(*attnames, "status", "escalated", "icp_profile_name", "lead_source")) == [
        (*values, Handoff.Status.PENDING, False, "", "")]
