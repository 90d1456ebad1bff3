"""import_csv refuses what is not a CSV text file in one line — an encoding that is not a text encoding for CSV, a
header or a cell too long to be one — naming the line, writes nothing, and its error report is formula-safe."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Account
from core.importing import allowed_encoding
from core.models import ImportRun

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_csv", *map(str, args), stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue().strip(), str(exc)
    return 0, out.getvalue().strip(), err.getvalue()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("encoding", ["rot13", "hex", "base64", "zlib_codec", "utf-16", "uu", "nope"])
def test_an_encoding_that_is_not_a_csv_text_encoding_is_a_usage_error_in_one_line(tmp_path, encoding):
    path = write(tmp_path, "external_id,name\nE1,Enc\n")
    code, out, message = run("accounts", path, "--encoding", encoding)
    assert code == 2 and out == ""
    assert message.startswith(f"--encoding: encoding '{encoding}' is not allowed for a CSV file; use one of utf-8,")
    assert "\n" not in message
    assert Account.objects.count() == 0 and ImportRun.objects.count() == 0


@pytest.mark.parametrize("name, codec", [("UTF-8", "utf-8"), ("utf8", "utf-8"), ("Shift_JIS", "shift_jis"),
                                         ("sjis", "shift_jis"), ("ms932", "cp932"), ("euc-jp", "euc_jp"),
                                         ("latin-1", "iso8859-1")])
def test_the_text_encodings_of_csv_files_are_allowed_by_any_of_their_names(name, codec):
    assert allowed_encoding(name) == codec


def test_a_named_allowed_encoding_imports(tmp_path):
    path = tmp_path / "euc.csv"
    path.write_bytes("external_id,name\nE1,東京商事\n".encode("euc-jp"))
    assert run("accounts", path, "--encoding", "euc-jp")[:2] == (0, "created=1 updated=0 unchanged=0 errors=0")
    assert list(Account.objects.values_list("name", flat=True)) == ["東京商事"]


def test_a_header_that_is_one_20_mb_cell_is_refused_naming_line_1(tmp_path):
    path = write(tmp_path, "x" * (20 * 2**20) + "\nE1,Big\n")
    code, _out, message = run("accounts", path)
    assert code == 1 and message == "line 1: the header cannot be read as CSV: a cell is longer than 131,072 characters"
    assert Account.objects.count() == 0


def test_a_header_of_a_million_columns_is_refused_naming_line_1(tmp_path):
    path = write(tmp_path, "external_id,name" + ",x" * 1_000_000 + "\nE1,Wide\n")
    code, _out, message = run("accounts", path)
    assert code == 1 and message.startswith("line 1: the header has 1,000,002 columns; at most 1,000 are read")
    assert Account.objects.count() == 0


def test_a_data_cell_longer_than_the_limit_is_refused_naming_its_line_and_nothing_is_written(tmp_path):
    path = write(tmp_path, "external_id,name\nL1,Fine\nL2," + "y" * 200_000 + "\nL3,Fine too\n")
    code, _out, message = run("accounts", path)
    assert code == 1 and message == "line 3: not valid CSV (a cell is longer than 131,072 characters)"
    assert Account.objects.count() == 0


def test_the_errors_out_report_escapes_formulas_as_the_exports_do(tmp_path):
    errors = tmp_path / "errors.csv"
    path = write(tmp_path, "external_id,name,employees\nF1,Formula,=1+1\n-5,Minus,@SUM(1)\nF3,Fine,3\n")
    code, out, _ = run("accounts", path, "--skip-invalid", "--errors-out", errors)
    assert (code, out) == (0, "created=1 updated=0 unchanged=0 errors=2")
    assert errors.read_text(encoding="utf-8").splitlines() == [
        "line,column,value,message",
        "2,employees,'=1+1,'=1+1' is not a whole number",
        "3,employees,'@SUM(1),'@SUM(1)' is not a whole number",
    ]
    assert list(Account.objects.values_list("external_id", flat=True)) == ["F3"]
