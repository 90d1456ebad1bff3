"""Guard: every import column agrees with the model field it fills — type, max_length, choices, what an empty
cell stores (nullability), validators — so the CSV import cannot accept what the model, its forms and its API
refuse, nor refuse what they accept. Columns read all of these from their field (core.importing.specs); this
test catches a column that states one of them and gets it wrong, or a kind the field does not support."""

from __future__ import annotations

import pytest
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator, RegexValidator

from accounts.models import Account
from contacts.models import Touch
from core.choices import Channel
from core.importing import CHOICE, CORPORATE_NUMBER, INT, TEXT, Column, KindSpec, disagreements, run_import
from core.services import IMPORT_KINDS, import_specs
from tests.importing.test_import_csv import run, write

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", IMPORT_KINDS)
def test_every_import_column_agrees_with_its_model_field(kind):
    assert disagreements(import_specs()[kind]) == []


def test_a_column_that_disagrees_with_its_model_field_is_reported():
    wrong = KindSpec(kind="touches", model=Touch, key="external_id", columns=(
        Column("external_id", max_length=50),  # the field holds 100
        Column("channel", kind=TEXT),  # the field has choices
        Column("kind", required=True, choices=("human",)),  # the field also has digital
        Column("occurred_at", required=True, kind=INT),  # a timestamp
        Column("note", validators=(MaxLengthValidator(10),)),  # the field has no such validator
        Column("content_stage", kind=CHOICE),  # agrees: not reported
    ))
    found = disagreements(wrong)
    assert len(found) == 5, found
    assert "external_id: Touch.external_id has max_length 100, the column 50" in found
    assert "channel: Touch.channel is read as choice, the column as text" in found
    assert any(f.startswith("kind: Touch.kind has choices ('human', 'digital')") for f in found)
    assert "occurred_at: Touch.occurred_at is read as datetime, the column as int" in found
    assert any(f.startswith("note: Touch.note has validators ()") for f in found)


def test_an_optional_column_whose_empty_cell_the_field_refuses_is_reported():
    # Touch.kind takes no empty value and nothing derives it: an optional kind column would store "".
    found = disagreements(KindSpec(kind="touches", model=Touch, key="external_id", columns=(Column("kind"),)))
    assert found == ["kind: Touch.kind does not allow '', which an empty cell of the column stores"]


def test_a_column_naming_no_field_is_reported():
    spec = KindSpec.__new__(KindSpec)  # bind() would refuse the column before the check could report it
    spec.model, spec.columns, spec.derived_fields, spec.sql_derived = Account, (Column("nickname"),), (), None
    assert disagreements(spec) == ["nickname: Account has no field 'nickname'"]


def test_columns_read_type_length_choices_and_bounds_from_their_fields():
    touches = import_specs()["touches"].by_name()
    assert touches["channel"].kind == CHOICE and touches["channel"].choices == tuple(Channel.values)
    assert touches["external_id"].max_length == 100 and touches["external_id"].empty is None  # null, not ""
    accounts = import_specs()["accounts"].by_name()
    assert accounts["employees"].bounds == (0, 2_147_483_647)
    assert accounts["is_target"].empty is True  # the field's default
    assert accounts["corporate_number"].kind == CORPORATE_NUMBER  # its field has core.validators' check digit rule
    assert import_specs()["leads"].by_name()["score"].bounds == (0, 100)


def test_a_touch_channel_outside_the_models_choices_is_refused(tmp_path):
    Account.objects.create(external_id="A1", name="One")
    path = write(tmp_path, "external_id,account_external_id,occurred_at,kind,channel,performer_role\n"
                           "T1,A1,2026-04-01T09:00:00+09:00,human,visit,sales\n"
                           "T2,A1,2026-04-01T10:00:00+09:00,human,fax,sales\n")
    code, _, err = run("touches", path)
    assert code == 1 and "line 3, column channel: 'fax' is not one of: visit, phone," in err
    assert Touch.objects.count() == 0


def test_the_importer_applies_a_columns_field_validators_to_each_cell(tmp_path):
    only_example_domains = RegexValidator(r"\.example$", message="Use an .example domain.")
    spec = KindSpec(kind="accounts", model=Account, key="external_id", columns=(
        Column("external_id", required=True), Column("name", required=True),
        Column("domain", validators=(only_example_domains, MaxLengthValidator(255))),
        Column("employees", validators=(MinValueValidator(10), MaxValueValidator(20))),
    ))
    path = write(tmp_path, "external_id,name,domain,employees\n"
                           "A1,One,one.example,10\n"
                           "A2,Two,two.test,15\n"
                           "A3,Three,three.example,21\n")
    errors = []
    result = run_import(spec=spec, path=path, on_error=errors.append)
    assert [str(e) for e in errors] == ["line 3, column domain: Use an .example domain.",
                                        "line 4, column employees: '21' is above 20"]
    assert result.errors == 2 and Account.objects.count() == 0
