"""The standards service's refusals (standards.services) come in the reader's language: a Japanese manager importing a
bad standards file reads why in Japanese, with the line and field named as in English."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from standards.services import validate_plan, validate_requirements
from standards.transfer import export_csv

pytestmark = pytest.mark.django_db


def bad_file() -> tuple[bytes, int]:
    rows = export_csv(japanese=False).lstrip("\ufeff").splitlines()
    rows.append("LEAD,Create an opportunity,marketing,education,email|newsletter|webinar,extra,digital,0,30,"
                "marketing,,,")
    return "\n".join(rows).encode("utf-8"), len(rows)


def test_a_japanese_manager_reads_the_services_refusal_in_japanese(client, manager):
    assert manager.language == "ja"
    client.force_login(manager)
    body, line = bad_file()
    response = client.post("/standards/import/", {"file": SimpleUploadedFile("bad.csv", body), "comment": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert f"{line}行目、列 min_count: 1〜1000 の整数で指定してください" in html
    assert "must be a whole number" not in html


def test_an_english_manager_reads_it_in_english(client, manager):
    manager.language = "en"
    manager.save(update_fields=["language"])
    client.force_login(manager)
    body, line = bad_file()
    html = client.post("/standards/import/", {"file": SimpleUploadedFile("bad.csv", body)}).content.decode()
    assert f"line {line}, column min_count: must be a whole number from 1 to 1000" in html


@pytest.mark.parametrize(("requirement", "english", "japanese"), [
    ({"code": "", "kind": "human", "min_count": 1, "window_days": 7, "responsible_role": "sales"},
     "requirements[0].code: a code is required", "requirements[0].code: コードを入力してください"),
    ({"code": "x", "kind": "paper", "min_count": 1, "window_days": 7, "responsible_role": "sales"},
     "requirements[0].kind: must be human or digital", "requirements[0].kind: 人的またはデジタルを指定してください"),
    ({"code": "x", "kind": "human", "min_count": 1, "window_days": 7, "responsible_role": "boss"},
     "requirements[0].responsible_role: unknown role 'boss'; choose from admin,",
     "requirements[0].responsible_role: 不明なロール 'boss' です。次から選んでください: admin,"),
])
def test_each_requirement_message_names_its_field_in_both_languages(requirement, english, japanese):
    for language, expected in (("en", english), ("ja", japanese)):
        with translation.override(language), pytest.raises(ValidationError) as exc:
            validate_requirements([requirement])
        assert any(m.startswith(expected) for m in exc.value.message_dict["requirements"]), language


def test_the_content_plans_messages_in_japanese():
    with translation.override("ja"), pytest.raises(ValidationError) as exc:
        validate_plan(content_stages=["gossip"], channels="visit")
    assert exc.value.message_dict["channels"] == ["リストで指定してください"]
    assert exc.value.message_dict["content_stages"][0].startswith("不明な値 gossip です。次から選んでください: ")
