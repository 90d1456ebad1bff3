"""`imports/` of the API (docs/api.md §5, "Imports"): upload (a queued dry run or commit), status, error report,
list — anonymous 401, every role but admin 403, admin 2xx; nothing written on refusal, nothing twice."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import Account
from core.choices import Role
from core.models import ImportRun

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def api():
    return APIClient()


def csv_file(text: str, name: str = "accounts.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def post(api, callbacks, **data):
    with callbacks(execute=True):  # the queued job runs once the request commits (Celery eager)
        return api.post("/api/v1/imports/", data, format="multipart")


def test_anonymous_gets_401_and_nothing_is_stored(api):
    assert api.get("/api/v1/imports/").status_code == 401
    response = api.post("/api/v1/imports/", {"kind": "accounts", "file": csv_file("external_id,name\nA1,A\n")},
                        format="multipart")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert ImportRun.objects.count() == 0 and Account.objects.count() == 0


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ADMIN])
def test_every_role_but_admin_gets_403_and_nothing_is_stored(api, personas, role):
    api.force_authenticate(personas[role])
    run = ImportRun.objects.create(kind="accounts", file_name="x.csv", status="succeeded", errors=1)
    assert api.get("/api/v1/imports/").status_code == 403
    assert api.get(f"/api/v1/imports/{run.pk}/").status_code == 403
    assert api.get(f"/api/v1/imports/{run.pk}/errors/").status_code == 403
    response = api.post("/api/v1/imports/", {"kind": "accounts", "file": csv_file("external_id,name\nA1,A\n")},
                        format="multipart")
    assert response.status_code == 403
    assert ImportRun.objects.count() == 1 and Account.objects.count() == 0


def test_an_admin_uploads_a_commit_follows_its_status_and_imports_each_row_once(
        api, admin_user, django_capture_on_commit_callbacks):
    api.force_authenticate(admin_user)
    response = post(api, django_capture_on_commit_callbacks, kind="accounts",
                    file=csv_file("会社コード,社名\nA1,Alpha\nA2,Beta\n"), map=["会社コード=external_id", "社名=name"])
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["kind"], body["file_name"], body["dry_run"], body["created_by"]) == ("accounts", "accounts.csv",
                                                                                      False, "ada")
    status = api.get(f"/api/v1/imports/{body['id']}/").json()
    assert (status["status"], status["created"], status["errors"], status["rows_done"], status["rows_total"]) == (
        "succeeded", 2, 0, 2, 2)
    assert status["evaluation"]["finished"] and status["errors_url"] is None
    assert sorted(Account.objects.values_list("external_id", "name")) == [("A1", "Alpha"), ("A2", "Beta")]
    assert [r["id"] for r in api.get("/api/v1/imports/").json()["results"]] == [body["id"]]
    assert api.get(f"/api/v1/imports/{body['id']}/errors/").status_code == 404  # no error, no report
    upload_only = ImportRun.objects.create(kind="accounts", file_name="x.csv")
    assert api.get(f"/api/v1/imports/{upload_only.pk}/errors/").status_code == 404


def test_an_admin_dry_run_reports_errors_in_a_formula_safe_report_and_writes_nothing(
        api, admin_user, django_capture_on_commit_callbacks):
    api.force_authenticate(admin_user)
    response = post(api, django_capture_on_commit_callbacks, kind="accounts", dry_run=True,
                    file=csv_file("external_id,name,employees\nD1,Dry,=1+1\nD1,Again,2\n"))
    assert response.status_code == 202
    status = api.get(f"/api/v1/imports/{response.json()['id']}/").json()
    assert (status["status"], status["dry_run"], status["errors"]) == ("failed", True, 2)
    assert [(e["line"], e["column"]) for e in status["error_sample"]] == [(2, "employees"), (3, "external_id")]
    report = api.get(status["errors_url"])
    assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
    text = b"".join(report.streaming_content)
    assert text.startswith("\ufeff".encode()) and b"2,employees,'=1+1," in text
    assert Account.objects.count() == 0


@pytest.mark.parametrize("data, field", [
    ({"kind": "nothing"}, "kind"),
    ({"encoding": "rot13"}, "encoding"),
    ({"encoding": "utf-16"}, "encoding"),
    ({"map": ["no-equals-sign"]}, "map"),
    ({"map": ["a=not_a_column"]}, "map"),
])
def test_bad_input_answers_400_naming_the_field_and_nothing_is_queued(
        api, admin_user, data, field, django_capture_on_commit_callbacks):
    api.force_authenticate(admin_user)
    response = post(api, django_capture_on_commit_callbacks,
                    **{"kind": "accounts", "file": csv_file("external_id,name\nB1,Bad\n"), **data})
    assert response.status_code == 400 and field in response.json()
    assert ImportRun.objects.count() == 0 and Account.objects.count() == 0


def test_a_json_body_is_refused_with_415(api, admin_user):
    api.force_authenticate(admin_user)
    response = api.post("/api/v1/imports/", json.dumps({"kind": "accounts"}), content_type="application/json")
    assert response.status_code == 415
    assert ImportRun.objects.count() == 0
