"""The keys a file has given (core.importing.keys.KeySet) answer as a set does, in memory or once moved to disk, so
a repeated key is found however long the file — and an import finds it after the move as before."""

import io

import pytest
from django.core.management import call_command

import core.importing.keys as keys_module
from accounts.models import Account
from core.importing.keys import KeySet
from core.models import ImportRun


def test_a_key_set_answers_as_a_set_before_and_after_its_keys_move_to_disk(monkeypatch):
    monkeypatch.setattr(keys_module, "SPILL_AFTER", 4)
    seen, same = KeySet(), set()
    for key in ["a", "b", "c"]:
        seen.add(key), same.add(key)
    assert seen.disk is None and all(k in seen for k in "abc") and "d" not in seen
    seen.update(["d", "e"]), same.update(["d", "e"])
    assert seen.disk is not None and seen.recent == set()  # moved to disk
    for probe in (["a"], ["x", "y"], ["y", "e"], [], ["z"] * 2000, [f"k{i}" for i in range(1000)] + ["c"]):
        assert seen.isdisjoint(probe) == same.isdisjoint(probe), probe
    assert all(k in seen for k in same) and "A" not in seen and "" not in seen
    seen.add("f")
    assert "f" in seen and "a" in seen
    seen.close()
    assert "a" not in seen


@pytest.mark.django_db
def test_a_key_repeated_after_the_keys_moved_to_disk_is_still_an_error_on_the_later_row(tmp_path, monkeypatch):
    from core.importing.orm import Importer
    from core.importing.staged import StagedImporter

    monkeypatch.setattr(keys_module, "SPILL_AFTER", 3)
    for importer in (Importer, StagedImporter):  # blocks of 4 rows: the repeat is in a later block than its first
        monkeypatch.setattr(importer, "BLOCK_ROWS", 4)
    path = tmp_path / "a.csv"
    path.write_text("external_id,name\n" + "".join(f"K{i},Co {i}\n" for i in range(10)) + "K1,Again\n",
                    encoding="utf-8")
    call_command("import_csv", "accounts", str(path), "--skip-invalid", stdout=io.StringIO(), stderr=io.StringIO())
    run = ImportRun.objects.get()
    assert (run.created, run.errors) == (10, 1)
    assert [(e["line"], e["column"]) for e in run.error_sample] == [(12, "external_id")]
    assert Account.objects.get(external_id="K1").name == "Co 1" and Account.objects.count() == 10
