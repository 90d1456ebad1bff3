"""The imports page for admins: upload, detected encoding and mapping, dry run with per-row errors, commit."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Account
from core.choices import Role
from core.models import ImportRun
from tests.web.access import assert_page_access

pytestmark = pytest.mark.django_db


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
