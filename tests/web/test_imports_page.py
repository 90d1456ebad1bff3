"""The imports page for admins: upload, detected encoding and mapping, dry run with per-row errors, commit."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Account
from core.choices import Role
from core.models import ImportRun
from tests.web.access import assert_page_access

pytestmark = pytest.mark.django_db
QUEUED = "待機中"  # "Queued": the admin persona reads the pages in Japanese


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(client, text: str, kind="accounts", name="取引先.csv", encoding="cp932"):
    file = SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")
    response = client.post("/imports/", {"kind": kind, "file": file})
    assert response.status_code == 302
    return ImportRun.objects.order_by("-id").first()


def test_imports_are_for_admins_only(client, personas):
    assert_page_access(client, personas, "/imports/", (Role.ADMIN,))


def test_an_admin_sees_the_cp932_error_fixes_the_file_and_imports_it(client, admin_user, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    run = upload(client, "外部ID,会社名,従業員数\nJ1,株式会社髙﨑,１２０\nJ2,東京商事,百\n")
    page = client.get(f"/imports/{run.pk}/")
    assert page.context["encoding"] == "cp932"
    assert ("外部ID", "external_id") in page.context["mapping"]
    with django_capture_on_commit_callbacks(execute=True):  # the dry run is queued too, run once the request commits
        dry = client.post(f"/imports/{run.pk}/", {"action": "dry_run", "encoding": "cp932",
                                                   "map:外部ID": "external_id", "map:会社名": "name", "map:従業員数": "employees"})
    checked = ImportRun.objects.order_by("-id").first()
    assert dry["Location"] == f"/imports/{checked.pk}/" and checked.dry_run
    html = client.get(dry["Location"]).content.decode()
    assert "百" in html and "is not a whole number" in html and "employees" in html
    assert Account.objects.count() == 0
    errors = client.get(f"/imports/{checked.pk}/errors.csv")
    assert b"3,employees" in b"".join(errors.streaming_content)

    fixed = upload(client, "外部ID,会社名,従業員数\nJ1,株式会社髙﨑,１２０\nJ2,東京商事,100\n")
    with django_capture_on_commit_callbacks(execute=True):  # the background job starts once the request commits
        response = client.post(f"/imports/{fixed.pk}/", {"action": "commit", "encoding": "cp932", "map:外部ID": "external_id",
                                                          "map:会社名": "name", "map:従業員数": "employees"})
    committed = ImportRun.objects.order_by("-id").first()
    assert response["Location"] == f"/imports/{committed.pk}/"
    committed.refresh_from_db()
    assert (committed.status, committed.created, committed.rows_done, committed.rows_total) == ("succeeded", 2, 2, 2)
    assert sorted(Account.objects.values_list("name", "employees")) == [("東京商事", 100), ("株式会社髙﨑", 120)]
    assert "succeeded" in client.get("/imports/").content.decode().lower() or committed.get_status_display() in client.get("/imports/").content.decode()


def test_a_column_mapped_to_ignore_is_not_imported(client, admin_user, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    run = upload(client, "external_id,name,employees\nX1,Ex,5\n", encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{run.pk}/", {"action": "commit", "map:external_id": "external_id", "map:name": "name",
                                            "map:employees": ""})
    assert Account.objects.get().employees is None


def test_a_mapping_saved_as_a_preset_is_applied_to_the_next_file(client, admin_user):
    from core.models import ImportMappingPreset

    client.force_login(admin_user)
    run = upload(client, "会社コード,社名\nP1,Preset Co\n", encoding="utf-8")
    response = client.post(f"/imports/{run.pk}/", {"action": "save_preset", "preset_name": "MA export",
                                                    "map:会社コード": "external_id", "map:社名": "name"})
    assert response.status_code == 302
    preset = ImportMappingPreset.objects.get()
    assert (preset.kind, preset.name, preset.mapping) == ("accounts", "MA export", {"会社コード": "external_id", "社名": "name"})
    second = upload(client, "会社コード,社名\nP2,Second Co\n", encoding="utf-8")
    assert ("会社コード", None) in client.get(f"/imports/{second.pk}/").context["mapping"]
    client.post(f"/imports/{second.pk}/", {"action": "apply_preset", "preset": preset.pk})
    assert ("会社コード", "external_id") in client.get(f"/imports/{second.pk}/").context["mapping"]


def commit(client, run, data: dict, callbacks, *, action="commit"):
    """POST the detail page's form; the queued job runs as the request commits (Celery eager)."""
    with callbacks(execute=True):
        response = client.post(f"/imports/{run.pk}/", {"action": action, **data})
    assert response.status_code == 302, response.content
    return response, ImportRun.objects.order_by("-id").first()


@pytest.mark.parametrize("encoding", ["rot13", "hex", "base64", "zlib_codec", "utf-16", "no-such-codec"])
def test_an_encoding_that_is_not_a_csv_text_encoding_is_refused_with_400_and_nothing_is_queued(
        client, admin_user, encoding, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    run = upload(client, "external_id,name\nE1,Enc\n", encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/imports/{run.pk}/", {"action": "commit", "encoding": encoding,
                                                        "map:external_id": "external_id", "map:name": "name"})
    assert response.status_code == 400
    assert "は CSV ファイルのテキストエンコーディングではありません" in response.content.decode()  # in the admin's Japanese
    assert callbacks == [] and ImportRun.objects.count() == 1 and Account.objects.count() == 0
    assert client.get(f"/imports/{run.pk}/").status_code == 200  # and the page still works


def test_a_header_that_is_one_20_mb_cell_is_refused_naming_line_1_and_the_pages_keep_working(
        client, admin_user, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    run = upload(client, "x" * (20 * 2**20) + "\nE1,Big\n", encoding="utf-8")
    page = client.get(f"/imports/{run.pk}/")
    assert page.status_code == 200
    assert "line 1: the header cannot be read as CSV: a cell is longer than 131,072 characters" in page.content.decode()
    assert client.get("/imports/").status_code == 200
    _response, checked = commit(client, run, {}, django_capture_on_commit_callbacks, action="dry_run")
    assert checked.status == "failed" and checked.message.startswith("line 1: ")
    assert client.get(f"/imports/{checked.pk}/").status_code == 200
    assert Account.objects.count() == 0


def test_the_error_report_is_formula_safe_with_a_bom_for_excel(client, admin_user, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    run = upload(client, "external_id,name,employees\n=1+1,Formula,@SUM(1)\nF2,Fine,3\n", encoding="utf-8")
    _response, checked = commit(client, run, {"map:external_id": "external_id", "map:name": "name",
                                              "map:employees": "employees"}, django_capture_on_commit_callbacks,
                                action="dry_run")
    assert (checked.status, checked.errors, checked.rows_done) == ("failed", 1, 2)
    report = b"".join(client.get(f"/imports/{checked.pk}/errors.csv").streaming_content)
    assert report.startswith("\ufeff".encode())
    lines = report.decode("utf-8-sig").splitlines()
    assert lines == ["line,column,value,message", "2,employees,'@SUM(1),'@SUM(1)' is not a whole number"]
    assert Account.objects.count() == 0


def test_a_dry_run_is_queued_in_the_background_with_progress_and_writes_nothing(
        client, admin_user, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    rows = "".join(f"D{i},Dry {i},{i}\n" for i in range(300))
    run = upload(client, "external_id,name,employees\n" + rows, encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/imports/{run.pk}/", {"action": "dry_run", "map:external_id": "external_id",
                                                        "map:name": "name", "map:employees": "employees"})
    queued = ImportRun.objects.order_by("-id").first()
    assert response.status_code == 302 and response["Location"] == f"/imports/{queued.pk}/"
    assert (queued.status, queued.dry_run, queued.rows_done) == ("pending", True, 0)  # nothing ran in the request
    page = client.get(f"/imports/{queued.pk}/").content.decode()
    assert QUEUED in page and 'hx-trigger="every 1s"' in page
    for callback in callbacks:
        callback()
    queued.refresh_from_db()
    assert (queued.status, queued.rows_total, queued.rows_done, queued.created, queued.errors) == (
        "validated", 300, 300, 300, 0)
    assert Account.objects.count() == 0


ACCOUNTS_WITH_A_REPEATED_ID = (
    "external_id,name,employees\n"
    "UX-1001,Original KK,many\n"  # line 2: invalid, so it is skipped …
    "UX-1002,Second KK,2\n"
    "UX-1003,Third KK,3\n"
    "UX-1004,Fourth KK,4\n"
    "UX-1001,Other Name KK,6\n"  # … and line 6 repeats its id: an error, never written under the other name
)


def test_a_repeated_id_is_reported_on_the_page_as_the_command_reports_it_and_line_6_is_not_written(
        client, admin_user, tmp_path, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    client.force_login(admin_user)
    run = upload(client, ACCOUNTS_WITH_A_REPEATED_ID, encoding="utf-8")
    _response, done = commit(client, run, {"skip_invalid": "1", "map:external_id": "external_id", "map:name": "name",
                                           "map:employees": "employees"}, django_capture_on_commit_callbacks)
    assert (done.status, done.created, done.errors) == ("succeeded", 3, 2)
    page_errors = {(e["line"], e["column"]) for e in done.error_sample}
    assert page_errors == {(2, "employees"), (6, "external_id")}
    assert "duplicate external_id &#x27;UX-1001&#x27;" in client.get(f"/imports/{done.pk}/").content.decode()
    assert sorted(Account.objects.values_list("external_id", "name")) == [
        ("UX-1002", "Second KK"), ("UX-1003", "Third KK"), ("UX-1004", "Fourth KK")]

    # The command, on the same file, reports the same lines and columns and writes the same.
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS_WITH_A_REPEATED_ID, encoding="utf-8")
    Account.objects.all().delete()
    call_command("import_csv", "accounts", str(path), "--skip-invalid", stdout=io.StringIO(),
                 stderr=io.StringIO())
    command_run = ImportRun.objects.order_by("-id").first()
    assert {(e["line"], e["column"]) for e in command_run.error_sample} == page_errors
    assert Account.objects.filter(external_id="UX-1001").count() == 0 and Account.objects.count() == 3


def test_a_commit_from_the_page_evaluates_the_accounts_it_changed_as_of_the_latest_night(
        client, admin_user, tmp_path, django_capture_on_commit_callbacks):
    import datetime as dt

    from django.core.management import call_command

    from core.timeutil import business_today
    from engine.models import AccountEvaluation, RecomputeRun
    from engine.services import recompute_all
    from tests.factories import AccountFactory

    night = business_today() - dt.timedelta(days=1)
    AccountFactory(external_id="OLD-1")
    recompute_all(as_of=night)
    runs = RecomputeRun.objects.count()
    client.force_login(admin_user)
    run = upload(client, "external_id,name,is_target\nNEW-1,New One,true\nNEW-2,New Two,false\n", encoding="utf-8")
    _response, done = commit(client, run, {"map:external_id": "external_id", "map:name": "name",
                                           "map:is_target": "is_target"}, django_capture_on_commit_callbacks)
    assert (done.status, done.created) == ("succeeded", 2)
    assert (done.options["evaluation"]["accounts"], done.options["evaluation"]["as_of"]) == (2, night.isoformat())
    assert done.options["evaluation"]["finished"]
    for account in Account.objects.filter(external_id__startswith="NEW-"):
        assert account.state != "" and AccountEvaluation.objects.filter(account=account).exists()
    assert RecomputeRun.objects.count() == runs  # no new run
    assert f"2 社を評価しました（{night.isoformat()} 時点）" in client.get(f"/imports/{done.pk}/").content.decode()
    assert AccountEvaluation.objects.count() == 3  # each account once

    # import_csv leaves its accounts to the next night, as before.
    path = tmp_path / "cli.csv"
    path.write_text("external_id,name\nCLI-1,Command One\n", encoding="utf-8")
    call_command("import_csv", "accounts", str(path), stdout=io.StringIO())
    assert Account.objects.get(external_id="CLI-1").state == ""
    assert not AccountEvaluation.objects.filter(account__external_id="CLI-1").exists()


def test_a_queued_import_shows_queued_and_the_sweep_runs_it_once(client, admin_user):
    import datetime as dt

    from django.utils import timezone

    from core.dispatch import PENDING_WORK, dispatch_sweep

    client.force_login(admin_user)
    run = upload(client, "external_id,name\nQ1,Queued\n", encoding="utf-8")
    # The request's transaction never publishes (as with the broker down): the run stays queued.
    client.post(f"/imports/{run.pk}/", {"action": "commit", "map:external_id": "external_id", "map:name": "name"})
    queued = ImportRun.objects.order_by("-id").first()
    assert queued.status == "pending" and QUEUED in client.get(f"/imports/{queued.pk}/").content.decode()
    assert QUEUED in client.get("/imports/").content.decode()
    imports = tuple(w for w in PENDING_WORK if w.model == "core.ImportRun")
    later = timezone.now() + dt.timedelta(minutes=2)
    assert dispatch_sweep(now=later, kinds=imports) == 1  # the queued run, not the upload (pending, no job)
    queued.refresh_from_db()
    assert (queued.status, queued.created) == ("succeeded", 1)
    assert dispatch_sweep(now=later, kinds=imports) == 0
    assert Account.objects.filter(external_id="Q1").count() == 1
