"""Export and import of the whole coverage standard (docs/api.md §5, "Standards export and import"): CSV for Excel
(BOM, English or Japanese headers) and JSON; an export imported back changes nothing; an import is checked whole
first and applied all or nothing, errors naming line, column and field; managers and admins only."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from core.choices import Role
from standards.models import Requirement, Standard, StandardChange
from standards.services import standard_snapshot
from standards.transfer import ImportInvalid, export_csv, export_json, parse_csv, standards_import
from tests.web.access import assert_page_access

pytestmark = pytest.mark.django_db
MANAGERS = (Role.MANAGER, Role.ADMIN)


@pytest.fixture(autouse=True)
def english(manager, admin_user):
    """Messages are read in English here, on the pages and from the functions called directly."""
    for user in (manager, admin_user):
        user.language = "en"
        user.save(update_fields=["language"])
    with translation.override("en"):
        yield


def whole_standard():
    return {s.state: (s.version, standard_snapshot(s)) for s in Standard.objects.all()}


def upload(client, name, body: bytes, comment=""):
    return client.post("/standards/import/", {"file": SimpleUploadedFile(name, body), "comment": comment})


@pytest.mark.parametrize("url", ["/standards/export.csv", "/standards/export.json", "/standards/import/"])
def test_export_and_import_are_for_managers_and_admins(client, personas, url):
    assert_page_access(client, personas, url, MANAGERS)


def test_a_rep_cannot_import(client, sales):
    client.force_login(sales)
    assert upload(client, "s.json", export_json().encode()).status_code == 403


@pytest.mark.parametrize(("fmt", "language"), [("csv", "en"), ("csv", "ja"), ("json", "en")])
def test_an_export_imported_back_leaves_the_standard_unchanged(client, manager, fmt, language):
    manager.language = language
    manager.save(update_fields=["language"])
    client.force_login(manager)
    before = whole_standard()
    exported = client.get(f"/standards/export.{fmt}")
    assert exported.status_code == 200 and "attachment" in exported["Content-Disposition"]
    response = upload(client, f"standard.{fmt}", exported.content)
    assert response.status_code == 302
    assert whole_standard() == before and not StandardChange.objects.exists()


def test_a_purpose_that_looks_like_a_formula_is_kept_from_excel_and_comes_back_as_it_was(client, manager):
    Standard.objects.filter(state="LEAD").update(purpose="=HYPERLINK(\"http://x\")")
    text = export_csv(japanese=False)
    assert "'=HYPERLINK(" in text and ",=HYPERLINK(" not in text
    standards_import(items=parse_csv(text), actor=manager, csv_lines=True)
    assert Standard.objects.get(state="LEAD").purpose == "=HYPERLINK(\"http://x\")"
    assert not StandardChange.objects.exists()


def test_the_csv_is_for_excel_with_japanese_headers_and_a_row_for_a_state_without_requirements():
    text = export_csv(japanese=True)
    lines = text.splitlines()
    assert text.startswith("\ufeff顧客区分,目的,担当ロール,コンテンツ段階")
    assert any(line.startswith("TARGET_NO_LEAD,Acquire a lead,marketing,education,ad;seminar;web_visit,,") for line in lines)
    assert any(line.startswith("LOYAL,") and ",executive,human,1,365,csm,executive,relation,visit" in line
               for line in lines)


def test_an_edited_csv_replaces_the_states_it_names_as_a_whole_and_nothing_else(client, manager):
    header = "state,purpose,owner_role,content_stages,channels,code,kind,min_count,window_days,responsible_role," \
             "performer_roles,content_stage,channel"
    body = "\n".join([
        header,
        "LEAD,Convert,marketing,education|solution,webinar,digital,digital,3,30,marketing,,education,newsletter",
        # Japanese labels for the values are taken too.
        "LEAD,Convert,marketing,education|solution,webinar,call,人的,1,14,インサイドセールス,インサイドセールス|マーケティング,解決策,電話",
    ])
    client.force_login(manager)
    assert upload(client, "edited.csv", body.encode("utf-8"), comment="From the planning sheet").status_code == 302
    lead = Standard.objects.get(state="LEAD")
    assert (lead.purpose, lead.content_stages, lead.channels, lead.version) == (
        "Convert", ["education", "solution"], ["webinar"], 2)
    assert list(lead.requirements.values_list("code", "kind", "min_count", "responsible_role", "performer_roles",
                                              "content_stage", "channel")) == [
        ("digital", "digital", 3, "marketing", [], "education", "newsletter"),
        ("call", "human", 1, "inside_sales", ["inside_sales", "marketing"], "solution", "phone")]
    assert StandardChange.objects.get().comment == "From the planning sheet"
    assert Standard.objects.exclude(state="LEAD").filter(version__gt=1).count() == 0


def test_a_bad_file_names_line_column_and_field_and_imports_nothing(client, manager):
    rows = export_csv(japanese=False).lstrip("\ufeff").splitlines()
    bad = [rows[0], *rows[1:], "LEAD,Create an opportunity,marketing,education,email|newsletter|webinar,extra,digital,0,30,marketing,,,"]
    client.force_login(manager)
    before = whole_standard()
    response = upload(client, "bad.csv", "\n".join(bad).encode("utf-8"))
    html = response.content.decode()
    assert response.status_code == 400 and "Nothing was imported" in html
    assert f"line {len(bad)}, column min_count: must be a whole number from 1 to 1000" in html
    assert whole_standard() == before


def test_unknown_values_and_columns_are_named():
    with pytest.raises(ImportInvalid) as exc:
        parse_csv("state,purpose\nLEAD,x\n")
    assert "line 1: missing column(s) owner_role, content_stages" in exc.value.errors[0]
    rows = export_csv(japanese=False).splitlines()
    cells = rows[1].split(",")
    cells[4] = "visit;fax"  # channels
    rows[1] = ",".join(cells)
    with pytest.raises(ImportInvalid) as exc:
        parse_csv("\n".join(rows))
    assert any(e.startswith("line 2, column 5, channels: unknown value 'fax'") for e in exc.value.errors)


def test_a_json_import_validates_with_the_apis_rules_and_names_the_item(manager):
    data = json.loads(export_json())
    data["standards"][0]["requirements"][0]["window_days"] = 4000
    data["standards"][1]["content_stages"] = ["gossip"]
    with pytest.raises(ImportInvalid) as exc:
        standards_import(items=data["standards"], actor=manager)
    assert any(e.startswith("standards[0].requirements[0].window_days: must be a whole number from 1 to 3650")
               for e in exc.value.errors)
    assert any(e.startswith("standards[1].content_stages: unknown value(s) gossip") for e in exc.value.errors)
    assert not StandardChange.objects.exists()


def test_an_unknown_state_or_a_state_twice_is_refused(manager):
    data = json.loads(export_json())["standards"]
    with pytest.raises(ImportInvalid) as exc:
        standards_import(items=[*data, dict(data[0]), {"state": "MARS", "requirements": []}], actor=manager)
    assert any("is given twice" in e for e in exc.value.errors)
    assert any("no standard for 'MARS'" in e for e in exc.value.errors)
    assert Requirement.objects.count() == sum(len(s["requirements"]) for s in data)


def test_a_file_that_is_not_text_or_json_is_a_clear_message(client, manager):
    client.force_login(manager)
    response = upload(client, "x.json", b'{"standards": 3}')
    assert response.status_code == 400 and "expected" in response.content.decode()
    response = upload(client, "x.csv", b"\xff\xfe\x00\x81garbage")
    assert response.status_code == 400
