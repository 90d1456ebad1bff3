"""Staging on a second connection (PostgreSQL, an import in its own transaction): each chunk's COPY into a table of
its own while the previous chunk is merged (core/importing/sidestage.py).

These tests run outside a test transaction (the import's transaction must be the outermost one for this path);
with chunks of a few rows every file spans several staged tables. The importer must write what the temporary
staging table path writes, write nothing when it fails, and leave no staging table behind either way.
"""

import datetime as dt

import pytest
from django.db import connection

from accounts.models import Account
from contacts.models import Touch
from core.importing import merge as merge_module
from core.importing import sidestage
from core.importing.staged import StagedImporter
from core.models import User
from tests.importing.test_import_csv import run, write

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the staged importer is PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def tiny_chunks(monkeypatch):
    monkeypatch.setattr(StagedImporter, "BLOCK_ROWS", 2)
    monkeypatch.setattr(StagedImporter, "CHUNK_ROWS", 3)


@pytest.fixture
def staged_tables(monkeypatch):
    """The names of the staging tables each import made (its SideStage's), in order."""
    made: list[list[str]] = []
    real_init = sidestage.SideStage.__init__

    def init(self, columns):
        real_init(self, columns)
        made.append(self.tables)

    monkeypatch.setattr(sidestage.SideStage, "__init__", init)
    return made


def stage_tables_left() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE 'import\\_stage\\_%%' ORDER BY relname")
        return [name for (name,) in cursor.fetchall()]


def accounts_file(tmp_path, rows: list[str], name: str = "a.csv"):
    return write(tmp_path, "external_id,name,employees,departments,listed,owner_sales\n" + "".join(r + "\n" for r in rows), name)


def test_chunks_staged_on_the_side_create_update_and_leave_unchanged_and_their_tables_go(tmp_path, staged_tables):
    sora = User.objects.create(username="sora", email="sora@example.com", role="sales")
    rows = [f"C{i},Company {i},{i * 10},sales;marketing,yes,sora" for i in range(10)]
    assert run("accounts", accounts_file(tmp_path, rows))[:2] == (0, "created=10 updated=0 unchanged=0 errors=0")
    assert len(staged_tables[-1]) >= 3  # a table per chunk of a few rows
    c3 = Account.objects.get(external_id="C3")
    assert (c3.name, c3.employees, c3.departments, c3.listed, c3.owner_sales_id) == (
        "Company 3", 30, ["sales", "marketing"], True, sora.id)
    changed = rows[:]
    changed[4] = "C4,Company Four,,,,"
    changed[7] = "C7,Company 7,71,sales,no,"
    assert run("accounts", accounts_file(tmp_path, changed, "b.csv"))[1] == "created=0 updated=2 unchanged=8 errors=0"
    c4, c7 = Account.objects.get(external_id="C4"), Account.objects.get(external_id="C7")
    assert (c4.name, c4.employees, c4.owner_sales_id) == ("Company Four", 40, sora.id)
    assert (c7.employees, c7.departments, c7.listed) == (71, ["sales"], False)
    assert run("accounts", accounts_file(tmp_path, changed, "b.csv"))[1] == "created=0 updated=0 unchanged=10 errors=0"
    assert stage_tables_left() == []


def test_touches_staged_on_the_side_read_their_typed_cells_as_the_temporary_stage_does(tmp_path, staged_tables):
    User.objects.create(username="sora", email="sora@example.com", role="sales")
    run("accounts", write(tmp_path, "external_id,name\nA1,Acme\nA2,Beta\n", "a.csv"))
    lines = ["T1,A1,2026/7/20 9:05,human,visit,sora,", ",A2,2026-07-20T23:30:00+09:00,digital,email,,marketing",
             "T3,A1,2026-07-21T09:00:00+09:00,human,visit,sora,csm", ",A2,2026-07-20T14:30:00Z,digital,email,,marketing",
             "T5,A1,2026-07-20T00:05:00Z,human,visit,sora,"]
    path = write(tmp_path, "external_id,account_external_id,occurred_at,kind,channel,performer,performer_role\n"
                 + "\n".join(lines) + "\n")
    assert run("touches", path)[1] == "created=4 updated=0 unchanged=1 errors=0"
    assert run("touches", path)[1] == "created=0 updated=0 unchanged=5 errors=0"
    touches = Touch.objects.values_list("external_id", "occurred_at", "occurred_on", "performer_role")
    assert sorted(touches, key=lambda t: (t[0] or "", t[1])) == [
        (None, dt.datetime(2026, 7, 20, 14, 30, tzinfo=dt.timezone.utc), dt.date(2026, 7, 20), "marketing"),
        ("T1", dt.datetime(2026, 7, 20, 0, 5, tzinfo=dt.timezone.utc), dt.date(2026, 7, 20), "sales"),
        ("T3", dt.datetime(2026, 7, 21, 0, 0, tzinfo=dt.timezone.utc), dt.date(2026, 7, 21), "csm"),
        ("T5", dt.datetime(2026, 7, 20, 0, 5, tzinfo=dt.timezone.utc), dt.date(2026, 7, 20), "sales")]
    assert len(staged_tables[-1]) >= 2 and stage_tables_left() == []


def test_a_failed_import_writes_nothing_and_leaves_no_staging_table(tmp_path, staged_tables):
    rows = [f"E{i},Company {i},{i},,," for i in range(8)] + ["E9,Bad,many,,,"]
    code, out, err = run("accounts", accounts_file(tmp_path, rows))
    assert (code, out) == (1, "created=0 updated=0 unchanged=0 errors=1")
    assert "line 10, column employees: 'many' is not a whole number" in err
    assert Account.objects.count() == 0 and staged_tables[-1] and stage_tables_left() == []
    code, out, _ = run("accounts", accounts_file(tmp_path, rows[:8]), "--dry-run")
    assert (code, out) == (0, "created=8 updated=0 unchanged=0 errors=0 (dry run)")
    assert Account.objects.count() == 0 and stage_tables_left() == []


def test_a_merge_failing_after_earlier_chunks_were_merged_writes_nothing_and_leaves_no_staging_table(
        tmp_path, staged_tables, monkeypatch):
    real_run = merge_module.StagedMerge.run
    merged = []

    def failing_run(self, cursor, **kwargs):
        if len(merged) == 2:
            raise RuntimeError("the database went away")
        merged.append(kwargs["stage"])
        return real_run(self, cursor, **kwargs)

    monkeypatch.setattr(merge_module.StagedMerge, "run", failing_run)
    with pytest.raises(RuntimeError, match="the database went away"):
        run("accounts", accounts_file(tmp_path, [f"F{i},Company {i},{i},,," for i in range(12)]))
    assert len(merged) == 2 and merged == staged_tables[-1][:2]  # two chunks were merged, then it failed
    assert Account.objects.count() == 0
    assert stage_tables_left() == []


def test_tables_left_by_a_process_that_died_are_dropped_by_the_next_import_others_kept(tmp_path):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        alive = cursor.fetchone()[0]
        cursor.execute("SELECT max(pid) + 100000 FROM pg_stat_activity")
        dead = cursor.fetchone()[0]
        cursor.execute(f"CREATE UNLOGGED TABLE import_stage_{dead}_0 (nk text)")
        cursor.execute(f"CREATE UNLOGGED TABLE import_stage_{alive}_0 (nk text)")
    try:
        assert run("accounts", accounts_file(tmp_path, ["D1,Company,1,,,"]))[1] == (
            "created=1 updated=0 unchanged=0 errors=0")
        assert stage_tables_left() == [f"import_stage_{alive}_0"]  # a running backend's: maybe an import under way
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS import_stage_{alive}_0, import_stage_{dead}_0")
