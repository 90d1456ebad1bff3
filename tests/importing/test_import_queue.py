"""The background job behind the page and the API (core.services.import_queue / import_run_job): a run is claimed
once, an upload nobody queued is never run, and a message queued before the job moved into the run still works."""

import pytest

from accounts.models import Account
from core.models import ImportRun
from core.services import import_queue, import_run_job

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_queued_commit_runs_once_however_often_its_message_comes(tmp_path, admin_user, django_capture_on_commit_callbacks):
    path = tmp_path / "a.csv"
    path.write_text("external_id,name\nQ1,Once\n", encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=False):
        run = import_queue(kind="accounts", path=path, file_name="a.csv", user=admin_user, dry_run=False)
    assert import_run_job(run_id=run.id) == "succeeded"
    assert import_run_job(run_id=run.id) == "succeeded"  # redelivered: nothing more
    run.refresh_from_db()
    assert (run.created, run.rows_total) == (1, 1)
    assert Account.objects.filter(external_id="Q1").count() == 1


def test_an_upload_nobody_queued_is_never_run(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("external_id,name\nU1,Upload\n", encoding="utf-8")
    upload = ImportRun.objects.create(kind="accounts", file_name="a.csv", options={"stored_path": str(path)})
    assert import_run_job(run_id=upload.id) == "pending"
    assert Account.objects.count() == 0


def test_a_commit_queued_before_the_job_moved_into_the_run_still_imports(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("code,name\nL1,Legacy\n", encoding="utf-8")
    old = ImportRun.objects.create(kind="accounts", file_name="a.csv", options={"stored_path": str(path)})
    assert import_run_job(run_id=old.id, legacy=(None, {"code": "external_id"}, False)) == "succeeded"
    assert list(Account.objects.values_list("external_id", "name")) == [("L1", "Legacy")]


def test_a_queued_touches_commit_evaluates_the_accounts_it_touched_chunk_by_chunk(
        tmp_path, admin_user, monkeypatch, django_capture_on_commit_callbacks):
    import core.services
    from engine.models import AccountEvaluation, RecomputeRun
    from tests.factories import AccountFactory

    monkeypatch.setattr(core.services, "EVALUATE_CHUNK", 1)
    touched = [AccountFactory(external_id=f"T{i}") for i in range(3)]
    untouched = AccountFactory(external_id="QUIET")
    path = tmp_path / "touches.csv"
    path.write_text("account_external_id,occurred_at,kind,performer_role\n"
                    + "".join(f"T{i},2026-01-0{i + 1}T10:00:00+09:00,human,sales\n" for i in range(3))
                    + "T0,2026-01-05T10:00:00+09:00,digital,marketing\n", encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=False):
        run = import_queue(kind="touches", path=path, file_name="touches.csv", user=admin_user, dry_run=False)
    assert import_run_job(run_id=run.id) == "succeeded"
    run.refresh_from_db()
    assert run.created == 4
    assert {k: run.options["evaluation"][k] for k in ("rows", "accounts", "finished")} == {
        "rows": 4, "accounts": 3, "finished": True}
    assert set(AccountEvaluation.objects.values_list("account_id", flat=True)) == {a.id for a in touched}
    assert not AccountEvaluation.objects.filter(account=untouched).exists() and RecomputeRun.objects.count() == 0
