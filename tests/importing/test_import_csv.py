"""import_csv and export_accounts as docs/api.md §1, §2 and §4 say, including every kind of bad input."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Account, Lead, Opportunity
from contacts.models import Touch
from core.importing import corporate_number_check_digit
from core.models import ImportRun, User

pytestmark = pytest.mark.django_db

ACCOUNTS_HEADER = "external_id,name,corporate_number,employees,listed,regions,owner_sales"


def write(tmp_path: Path, text: str, name: str = "f.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(kind: str, path: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_csv", kind, str(path), *args, stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        code = exc.returncode
        err.write(str(exc))
    return code, out.getvalue().strip(), err.getvalue()


@pytest.fixture
def owners(db):
    User.objects.create(username="sora", email="sora@example.com", role="sales")
    User.objects.create(username="chika", email="chika@example.com", role="csm")


def test_check_digit_of_the_example_corporate_number():
    assert corporate_number_check_digit("000012050002") == 7


def test_accounts_import_creates_then_reports_only_unchanged_on_a_second_run(tmp_path, owners):
    path = write(tmp_path, f"{ACCOUNTS_HEADER}\nA1,Acme,7000012050002,120,yes,Kanto;Kansai,sora\nA2,Beta,,,,,\n")
    assert run("accounts", path)[:2] == (0, "created=2 updated=0 unchanged=0 errors=0")
    a1 = Account.objects.get(external_id="A1")
    assert (a1.employees, a1.listed, a1.regions, a1.owner_sales.username) == (120, True, ["Kanto", "Kansai"], "sora")
    assert run("accounts", path)[:2] == (0, "created=0 updated=0 unchanged=2 errors=0")
    run_record = ImportRun.objects.order_by("-id").first()
    assert (run_record.kind, run_record.file_name, len(run_record.file_sha256), run_record.unchanged) == ("accounts", "f.csv", 64, 2)


def test_a_changed_row_is_updated_and_an_empty_cell_leaves_the_value_unless_blank_clears(tmp_path, owners):
    run("accounts", write(tmp_path, f"{ACCOUNTS_HEADER}\nA1,Acme,,120,yes,Kanto,sora\n"))
    assert run("accounts", write(tmp_path, f"{ACCOUNTS_HEADER}\nA1,Acme Corp,,,,,\n"))[1] == "created=0 updated=1 unchanged=0 errors=0"
    a1 = Account.objects.get()
    assert (a1.name, a1.employees, a1.regions, a1.owner_sales_id is not None) == ("Acme Corp", 120, ["Kanto"], True)
    assert run("accounts", write(tmp_path, f"{ACCOUNTS_HEADER}\nA1,Acme Corp,,,,,\n"), "--blank-clears")[1] == (
        "created=0 updated=1 unchanged=0 errors=0")
    a1.refresh_from_db()
    assert (a1.employees, a1.listed, a1.regions, a1.owner_sales_id) == (None, None, [], None)


def test_cp932_file_with_japanese_headers_full_width_digits_and_thousands_separators(tmp_path, owners):
    text = "外部ID,会社名,従業員数,売上高,上場,担当営業\nJ1,株式会社髙﨑①～,\"１,２００\",\"3,000,000\",はい,sora\n"
    path = write(tmp_path, text, encoding="cp932")
    code, out, _ = run("accounts", path)
    assert (code, out) == (0, "created=1 updated=0 unchanged=0 errors=0")
    account = Account.objects.get()
    assert (account.name, account.employees, account.annual_revenue, account.listed) == ("株式会社髙﨑①～", 1200, 3_000_000, True)
    assert ImportRun.objects.get().encoding == "cp932"


def test_utf8_with_bom_and_crlf_and_quoted_fields(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffexternal_id,name\r\nB1,\"Comma, Inc.\"\r\nB2,\"Quote \"\"Q\"\" Ltd\"\r\n".encode())
    assert run("accounts", path)[1] == "created=2 updated=0 unchanged=0 errors=0"
    assert set(Account.objects.values_list("name", flat=True)) == {"Comma, Inc.", 'Quote "Q" Ltd'}


def test_tab_separated_file(tmp_path):
    assert run("accounts", write(tmp_path, "external_id\tname\nT1\tTab Co\n", name="f.tsv"))[0] == 0
    assert Account.objects.get().name == "Tab Co"


def test_map_option_maps_a_header_to_a_field(tmp_path):
    path = write(tmp_path, "code,company\nM1,Mapped\n")
    assert run("accounts", path, "--map", "code=external_id", "--map", "company=name")[0] == 0
    assert Account.objects.get().external_id == "M1"
    assert run("accounts", path, "--map", "nonsense")[0] in (1, 2)


@pytest.mark.parametrize(
    ("content", "encoding", "expected"),
    [
        (b"", None, "line 1: the file is empty"),
        (b"external_id,name\n", None, "line 2: the file has a header but no data rows"),
        ("external_id,名前\nX,Y\n".encode(), None, "missing required column(s): name"),
        (b"external_id,name\nX,\x81\x20\xe0\x10\n", None, "neither UTF-8 nor Shift_JIS/CP932 (undecodable bytes at line 2)"),
        (b"external_id,name\nX,bin\x00ary\n", None, "contains NUL bytes"),
    ],
)
def test_files_that_cannot_be_read_get_one_clear_message_and_exit_1(tmp_path, content, encoding, expected):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    code, out, err = run("accounts", path)
    assert code == 1
    assert expected in err
    assert "Traceback" not in err
    assert Account.objects.count() == 0
    assert ImportRun.objects.get().status == "failed"


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("A9,Name,7000012050003,,,,", "corporate_number", "wrong check digit"),
        ("A9,Name,70000120500,,,,", "corporate_number", "not a corporate number"),
        ("A9,Name,,12x,,,", "employees", "not a whole number"),
        ("A9,Name,,,maybe,,", "listed", "not a yes/no value"),
        ("A9,Name,,,,,nobody", "owner_sales", "unknown user 'nobody'"),
        (",Name,,,,,", "external_id", "required value is empty"),
        ("A9,,,,,,", "name", "required value is empty"),
    ],
)
def test_each_bad_cell_is_named_by_line_column_and_reason_and_nothing_is_written(tmp_path, owners, row, column, message):
    path = write(tmp_path, f"{ACCOUNTS_HEADER}\nOK1,Good,,,,,\n{row}\n")
    code, out, err = run("accounts", path)
    assert code == 1
    assert f"line 3, column {column}: " in err and message in err
    assert out == "created=0 updated=0 unchanged=0 errors=1"
    assert Account.objects.count() == 0  # all-or-nothing: the good row is not written either


def test_duplicate_id_in_one_file_is_an_error_on_the_later_row(tmp_path):
    code, _, err = run("accounts", write(tmp_path, "external_id,name\nD1,One\nD2,Two\nD1,Again\n"))
    assert code == 1 and "line 4, column external_id: duplicate external_id 'D1'" in err


def test_skip_invalid_writes_the_valid_rows_and_reports_the_rest(tmp_path):
    errors = tmp_path / "errors.csv"
    path = write(tmp_path, "external_id,name,employees\nS1,Good,5\nS2,Bad,five\n")
    code, out, _ = run("accounts", path, "--skip-invalid", "--errors-out", str(errors))
    assert (code, out) == (0, "created=1 updated=0 unchanged=0 errors=1")
    assert list(Account.objects.values_list("external_id", flat=True)) == ["S1"]
    assert errors.read_text().splitlines() == ["line,column,value,message", "3,employees,five,'five' is not a whole number"]


def test_dry_run_validates_and_counts_but_writes_nothing(tmp_path):
    code, out, _ = run("accounts", write(tmp_path, "external_id,name\nR1,One\n"), "--dry-run")
    assert (code, out) == (0, "created=1 updated=0 unchanged=0 errors=0 (dry run)")
    assert Account.objects.count() == 0
    assert ImportRun.objects.get().status == "validated"


def test_users_import_requires_a_known_role_and_gives_an_unusable_password(tmp_path):
    path = write(tmp_path, "username,email,role,team,language\nkei,kei@example.com,csm,east,en\nbad,not-an-email,boss,,\n")
    code, _, err = run("users", path)
    assert code == 1
    assert "line 3, column email: 'not-an-email' is not an email address" in err
    assert "line 3, column role: 'boss' is not one of" in err
    code, out, _ = run("users", path, "--skip-invalid")
    user = User.objects.get(username="kei")
    assert (user.role, user.team, user.language, user.has_usable_password()) == ("csm", "east", "en", False)


def test_leads_and_opportunities_reference_existing_accounts(tmp_path, owners):
    run("accounts", write(tmp_path, "external_id,name\nA1,Acme\n", "a.csv"))
    leads = write(tmp_path, "external_id,account_external_id,created_on,status,score\nL1,A1,2026/4/1,open,８０\nL2,ZZ,2026-04-01,open,101\n")
    code, _, err = run("leads", leads)
    assert code == 1
    assert "line 3, column account_external_id: unknown account 'ZZ'" in err
    assert "line 3, column score: '101' is above 100" in err
    opps = write(tmp_path, "external_id,account_external_id,opened_on,closed_on,status,amount,owner\n"
                           "O1,A1,2026-04-01,2026-05-01,won,\"1,500,000\",sora\nO2,A1,2026-13-01,,open,,\n", "o.csv")
    code, _, err = run("opportunities", opps, "--skip-invalid")
    assert "line 3, column opened_on: '2026-13-01' is not a valid date" in err
    assert Opportunity.objects.get().amount == 1_500_000
    run("leads", leads, "--skip-invalid")
    assert Lead.objects.get().score == 80


def test_touches_are_stored_once_and_dated_in_the_business_zone(tmp_path, owners):
    run("accounts", write(tmp_path, "external_id,name\nA1,Acme\n", "a.csv"))
    touches = write(tmp_path, "account_external_id,occurred_at,kind,channel,performer,performer_role\n"
                              "A1,2026/7/20 9:05,human,visit,sora,\n"
                              "A1,2026-07-20T15:30:00Z,digital,email,,marketing\n"
                              "A1,2026-07-20T09:05:00+09:00,human,visit,sora,\n")
    assert run("touches", touches)[1] == "created=2 updated=0 unchanged=1 errors=0"
    assert run("touches", touches)[1] == "created=0 updated=0 unchanged=3 errors=0"
    rows = sorted(Touch.objects.values_list("occurred_on", "performer_role", "source"))
    assert rows == [(dt.date(2026, 7, 20), "sales", "csv"), (dt.date(2026, 7, 21), "marketing", "csv")]


def test_a_touch_needs_a_performer_role_when_no_performer_is_given(tmp_path):
    run("accounts", write(tmp_path, "external_id,name\nA1,Acme\n", "a.csv"))
    code, _, err = run("touches", write(tmp_path, "account_external_id,occurred_at,kind\nA1,2026-07-01 10:00,human\n"))
    assert code == 1 and "line 2, column performer_role: performer_role is required when performer is empty" in err


def test_touches_with_external_id_upsert(tmp_path):
    run("accounts", write(tmp_path, "external_id,name\nA1,Acme\n", "a.csv"))
    header = "external_id,account_external_id,occurred_at,kind,performer_role\n"
    assert run("touches", write(tmp_path, header + "T1,A1,2026-07-01 10:00,human,csm\n"))[1].startswith("created=1")
    assert run("touches", write(tmp_path, header + "T1,A1,2026-07-02 10:00,human,csm\n"))[1].startswith("created=0 updated=1")
    assert Touch.objects.get().occurred_on == dt.date(2026, 7, 2)


def test_export_accounts_imports_back_as_unchanged_and_escapes_formulas(tmp_path, owners):
    run("accounts", write(tmp_path, "external_id,name,regions,owner_sales,revenue_growth_pct\n"
                                    "E1,=cmd|' /C calc'!A0,東北;九州,sora,-3.5\nE2,@risk,,,12\n"))
    out = tmp_path / "export.csv"
    call_command("export_accounts", "--output", str(out), stdout=io.StringIO())
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].endswith("owner_executive,state,state_since,icp_fit,icp_profile,icp_tier")
    assert lines[1].startswith("E1,'=cmd|' /C calc'!A0,")
    assert ",-3.50," in lines[1] and ",東北;九州," in lines[1]
    assert lines[2].startswith("E2,'@risk,")
    code, summary, err = run("accounts", out)
    assert (code, summary) == (0, "created=0 updated=0 unchanged=2 errors=0")
    assert "column 'state' is derived and ignored" in err
    assert Account.objects.get(external_id="E1").name == "=cmd|' /C calc'!A0"


def test_unknown_columns_are_reported_and_ignored(tmp_path):
    code, _, err = run("accounts", write(tmp_path, "external_id,name,colour\nU1,Unknown,blue\n"))
    assert code == 0 and "unknown column 'colour' ignored" in err


def test_a_missing_file_and_an_unknown_kind_are_refused():
    assert run("accounts", Path("/nonexistent.csv"))[0] == 1
    with pytest.raises(CommandError):
        call_command("import_csv", "widgets", "x.csv")
