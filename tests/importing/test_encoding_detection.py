"""detect_encoding reads a UTF-8 file once (its NUL check and its decoding share the pass), a CP932 file once more,
and refuses a file with a NUL byte anywhere for it, even past bytes that do not decode."""

import builtins

import pytest

from core.importing.reading import detect_encoding
from core.importing.specs import ImportAborted

MEGABYTE = 1 << 20


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """The files detect_encoding opens, in order."""
    paths = []

    def counting_open(path, *args, **kwargs):
        paths.append(str(path))
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr("core.importing.reading.open", counting_open, raising=False)
    return paths


def test_a_utf8_file_is_read_once_and_a_cp932_file_once_more(tmp_path, opened):
    utf8, cp932 = tmp_path / "u.csv", tmp_path / "s.csv"
    utf8.write_bytes("external_id,name\n".encode() + "A1,髙橋 ①\n".encode() * (MEGABYTE // 8))
    cp932.write_bytes("external_id,name\nA1,髙橋 ①\n".encode("cp932"))

    assert detect_encoding(utf8) == "utf-8-sig"
    assert opened == [str(utf8)]
    assert detect_encoding(cp932) == "cp932"
    assert opened == [str(utf8), str(cp932), str(cp932)]


def test_a_nul_byte_past_the_first_undecodable_megabyte_is_what_is_reported(tmp_path, opened):
    path = tmp_path / "bad.csv"
    # A lead byte without its trail byte: neither UTF-8 nor CP932, in the first megabyte; the NUL in the third.
    path.write_bytes(b"external_id,name\nA1,\x81 \n" + b"x" * (2 * MEGABYTE) + b"\nA2,\x00\n")

    with pytest.raises(ImportAborted, match="contains NUL bytes"):
        detect_encoding(path)
    with pytest.raises(ImportAborted, match="contains NUL bytes"):
        detect_encoding(path, "utf-8")
    path.write_bytes(path.read_bytes().replace(b"\x00", b"0"))
    with pytest.raises(ImportAborted, match="neither UTF-8 nor Shift_JIS/CP932 .* at line 2"):
        detect_encoding(path)
