"""The set-based import path (PostgreSQL: COPY into staging, merge chunk by chunk in a worker thread).

On SQLite these run the model-object path and must give the same answers; with DATABASE_URL pointing at
PostgreSQL they exercise the staging merge with chunks of a few rows, so every file spans several chunks.
"""

import datetime as dt

import pytest

from accounts.models import Account
from contacts.models import Touch
from core.importing.columnwise import AccountCache
from core.importing.staged import StagedImporter
from core.models import User
from tests.importing.test_import_csv import run, write

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tiny_chunks(monkeypatch):
    monkeypatch.setattr(StagedImporter, "BLOCK_ROWS", 2)
    monkeypatch.setattr(StagedImporter, "CHUNK_ROWS", 3)


@pytest.fixture
def sora(db):
    return User.objects.create(username="sora", email="sora@example.com", role="sales")


def accounts_file(tmp_path, rows: list[str], name: str = "a.csv"):
    return write(tmp_path, "external_id,name,employees,departments,listed,owner_sales\n" + "".join(r + "\n" for r in rows), name)


def test_accounts_leads_opportunities_and_touches_take_the_set_based_path_users_do_not():
    from accounts.importers import ACCOUNTS, LEADS, OPPORTUNITIES
    from contacts.importers import TOUCHES
    from core.importers import USERS

    assert all(spec.set_based for spec in (ACCOUNTS, LEADS, OPPORTUNITIES, TOUCHES)) and not USERS.set_based


def test_many_chunks_create_then_update_then_leave_unchanged(tmp_path, sora):
    rows = [f"C{i},Company {i},{i * 10},sales;marketing,yes,sora" for i in range(10)]
    assert run("accounts", accounts_file(tmp_path, rows))[:2] == (0, "created=10 updated=0 unchanged=0 errors=0")
    c3 = Account.objects.get(external_id="C3")
    assert (c3.name, c3.employees, c3.departments, c3.listed, c3.owner_sales_id, c3.is_target) == (
        "Company 3", 30, ["sales", "marketing"], True, sora.id, True)
    changed = rows[:]
    changed[4] = "C4,Company Four,,,,"  # empty cells keep the stored values
    changed[7] = "C7,Company 7,71,sales,no,"
    assert run("accounts", accounts_file(tmp_path, changed, "b.csv"))[1] == "created=0 updated=2 unchanged=8 errors=0"
    c4, c7 = Account.objects.get(external_id="C4"), Account.objects.get(external_id="C7")
    assert (c4.name, c4.employees, c4.departments, c4.owner_sales_id) == ("Company Four", 40, ["sales", "marketing"], sora.id)
    assert (c7.employees, c7.departments, c7.listed, c7.owner_sales_id) == (71, ["sales"], False, sora.id)
    assert run("accounts", accounts_file(tmp_path, changed, "b.csv"))[1] == "created=0 updated=0 unchanged=10 errors=0"


def test_blank_clears_on_a_new_and_an_existing_row(tmp_path, sora):
    run("accounts", accounts_file(tmp_path, ["K1,Kept,5,sales,yes,sora"]))
    path = accounts_file(tmp_path, ["K1,Kept,,,,", "K2,New,,,,"], "b.csv")
    assert run("accounts", path, "--blank-clears")[1] == "created=1 updated=1 unchanged=0 errors=0"
    k1, k2 = Account.objects.get(external_id="K1"), Account.objects.get(external_id="K2")
    assert (k1.employees, k1.departments, k1.listed, k1.owner_sales_id) == (None, [], None, None)
    assert (k2.employees, k2.departments, k2.is_target) == (None, [], True)


def test_an_error_in_a_late_chunk_leaves_nothing_written_and_a_dry_run_counts_without_writing(tmp_path):
    rows = [f"E{i},Company {i},{i},,," for i in range(8)] + ["E9,Bad,many,,,"]
    code, out, err = run("accounts", accounts_file(tmp_path, rows))
    assert (code, out) == (1, "created=0 updated=0 unchanged=0 errors=1")
    assert "line 10, column employees: 'many' is not a whole number" in err
    assert Account.objects.count() == 0
    code, out, _ = run("accounts", accounts_file(tmp_path, rows[:8]), "--dry-run")
    assert (code, out) == (0, "created=8 updated=0 unchanged=0 errors=0 (dry run)")
    assert Account.objects.count() == 0
    code, out, _ = run("accounts", accounts_file(tmp_path, rows), "--skip-invalid")
    assert (code, out) == (0, "created=8 updated=0 unchanged=0 errors=1")


def test_a_key_repeated_in_a_later_chunk_is_still_an_error(tmp_path):
    rows = [f"R{i},Company {i},,,," for i in range(6)] + ["R1,Again,,,,"]
    code, _, err = run("accounts", accounts_file(tmp_path, rows))
    assert code == 1 and "line 8, column external_id: duplicate external_id 'R1'" in err


def test_touches_without_external_id_are_stored_once_across_chunks_and_files(tmp_path, sora):
    run("accounts", write(tmp_path, "external_id,name\nA1,Acme\nA2,Beta\n", "a.csv"))
    lines = ["A1,2026/7/20 9:05,human,visit,sora,", "A2,2026-07-20T23:30:00+09:00,digital,email,,marketing",
             "A1,2026-07-21T09:00:00+09:00,human,visit,sora,csm", "A2,2026-07-20T14:30:00Z,digital,email,,marketing",
             "A1,2026-07-20T00:05:00Z,human,visit,sora,"]  # the last repeats the first instant
    path = write(tmp_path, "account_external_id,occurred_at,kind,channel,performer,performer_role\n" + "\n".join(lines) + "\n")
    assert run("touches", path)[1] == "created=3 updated=0 unchanged=2 errors=0"
    assert run("touches", path)[1] == "created=0 updated=0 unchanged=5 errors=0"
    rows = sorted(Touch.objects.values_list("account__external_id", "occurred_on", "performer_role", "source"))
    assert rows == [("A1", dt.date(2026, 7, 20), "sales", "csv"), ("A1", dt.date(2026, 7, 21), "csm", "csv"),
                    ("A2", dt.date(2026, 7, 20), "marketing", "csv")]


def test_touch_updates_keep_the_recorded_performer_role_and_rederive_the_date(tmp_path, sora):
    run("accounts", write(tmp_path, "external_id,name\nA1,Acme\n", "a.csv"))
    header = "external_id,account_external_id,occurred_at,kind,performer,performer_role\n"
    assert run("touches", write(tmp_path, header + "T1,A1,2026-07-01 10:00,human,sora,\n"))[1].startswith("created=1 ")
    sora.role = "csm"
    sora.save()
    assert run("touches", write(tmp_path, header + "T1,A1,2026-07-01T20:00:00Z,human,sora,\n"))[1] == (
        "created=0 updated=1 unchanged=0 errors=0")
    touch = Touch.objects.get()
    assert (touch.occurred_on, touch.performer_role) == (dt.date(2026, 7, 2), "sales")


def test_accounts_looked_up_per_batch_when_there_are_too_many_to_preload(tmp_path, monkeypatch):
    monkeypatch.setattr(AccountCache, "LIMIT", 1)
    run("accounts", write(tmp_path, "external_id,name\nA1,Acme\nA2,Beta\nA3,Gamma\n", "a.csv"))
    header = "external_id,account_external_id,occurred_at,kind,performer_role\n"
    body = "".join(f"T{i},A{i % 3 + 1},2026-07-0{i % 9 + 1} 10:00,digital,marketing\n" for i in range(7))
    code, out, err = run("touches", write(tmp_path, header + body + "T9,A9,2026-07-01 10:00,digital,marketing\n"),
                         "--skip-invalid")
    assert (code, out) == (0, "created=7 updated=0 unchanged=0 errors=1")
    assert "line 9, column account_external_id: unknown account 'A9'" in err


def test_a_file_whose_later_chunks_meet_stored_rows_counts_them_as_before(tmp_path, sora):
    """The first chunks of a file that are all new go in without the per-row "is it new?" probe; the first chunk
    that meets a stored row is refused whole by the unique index, undone, and merged the probing way."""
    run("accounts", accounts_file(tmp_path, [f"S{i},Stored {i},{i},,," for i in range(4)]))
    new = [f"N{i},New {i},{i},,," for i in range(7)]
    stored = [f"S{i},Stored {i},{i + (i % 2)},,," for i in range(4)]  # S1 and S3 change
    assert run("accounts", accounts_file(tmp_path, new + stored + ["N9,New 9,9,,,"], "b.csv"))[1] == (
        "created=8 updated=2 unchanged=2 errors=0")
    assert sorted(Account.objects.filter(external_id__startswith="S").values_list("employees", flat=True)) == [0, 2, 2, 4]
    assert Account.objects.count() == 12


def test_a_chunk_of_new_touches_without_ids_beside_changed_touches_with_ids_updates_those(tmp_path, sora):
    """Each chunk tells the merge how many of its rows give a key and a natural key: a chunk whose keyed rows were
    all stored before but whose unkeyed rows are new still has its keyed rows compared and updated, and chunks
    with only one kind of row are counted right."""
    run("accounts", write(tmp_path, "external_id,name\nA1,Acme\nA2,Beta\n", "a.csv"))
    header = "external_id,account_external_id,occurred_at,kind,channel,performer_role\n"
    first = ["T1,A1,2026-07-01T10:00:00+09:00,human,visit,sales", "T2,A2,2026-07-01T11:00:00+09:00,human,visit,sales",
             "T3,A1,2026-07-02T10:00:00+09:00,digital,email,marketing"]
    assert run("touches", write(tmp_path, header + "\n".join(first) + "\n"))[1] == (
        "created=3 updated=0 unchanged=0 errors=0")
    second = [",A1,2026-07-03T10:00:00+09:00,human,visit,sales",  # chunk 1: two new without an id, one stored
              ",A2,2026-07-03T11:00:00+09:00,human,phone,sales",
              "T2,A2,2026-07-01T11:00:00+09:00,human,phone,sales",  # stored, channel changes
              "T1,A1,2026-07-01T10:00:00+09:00,human,visit,sales",  # chunk 2: stored unchanged, one new with an id
              "T4,A2,2026-07-04T10:00:00+09:00,digital,email,marketing",
              ",A1,2026-07-03T10:00:00+09:00,human,visit,sales"]  # the first row again: unchanged
    assert run("touches", write(tmp_path, header + "\n".join(second) + "\n", "b.csv"))[1] == (
        "created=3 updated=1 unchanged=2 errors=0")
    assert Touch.objects.get(external_id="T2").channel == "phone"
    assert Touch.objects.filter(external_id__isnull=True).count() == 2 and Touch.objects.count() == 6
