"""Reading a CSV file: its encoding (UTF-8 with or without BOM, else CP932), its header, and its records in
blocks with the line each starts on (docs/api.md §2)."""

from __future__ import annotations

import codecs
import csv
import itertools
from collections.abc import Iterator
from pathlib import Path

from .specs import Column, ImportAborted, KindSpec, resolve_header

ENCODINGS = ("utf-8-sig", "cp932")
# The text encodings a CSV may be named in (--encoding, the import page, the API), by their codec names
# (codecs.lookup(name).name: "sjis" and "Shift_JIS" are "shift_jis"). Everything else Python can decode — rot13,
# hex, base64, zlib, UTF-16 and friends — is not a CSV a spreadsheet writes, and is refused where it is entered.
ALLOWED_ENCODINGS = {
    "utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "cp932": "CP932 / Shift_JIS (Windows)", "shift_jis": "Shift_JIS",
    "euc_jp": "EUC-JP", "iso2022_jp": "ISO-2022-JP", "iso8859-1": "Latin-1", "cp1252": "Windows-1252",
}
# A header this long is not a header (a 20 MB cell, a million columns): refused naming line 1, before it is
# stored or shown. A data cell longer than the csv module's field limit is refused naming its line.
MAX_HEADER_CELLS = 1_000
MAX_HEADER_CHARS = 65_536
MAX_CELL_CHARS = csv.field_size_limit()


class EncodingRefused(ImportAborted):
    """An encoding that is not a CSV text encoding (ALLOWED_ENCODINGS), or that Python does not know."""


def allowed_encoding(name: str) -> str:
    """The codec name of an encoding a CSV may be written in; EncodingRefused (one line) for any other."""
    try:
        codec = codecs.lookup(name.strip()).name
    except (LookupError, ValueError, TypeError, AttributeError):
        codec = None
    if codec not in ALLOWED_ENCODINGS:
        raise EncodingRefused(f"encoding {str(name)[:40]!r} is not allowed for a CSV file; use one of "
                              + ", ".join(ALLOWED_ENCODINGS))
    return codec


def detect_encoding(path: Path, requested: str | None = None) -> str:
    """UTF-8 (with or without BOM), else CP932 (Excel's Shift_JIS, which also has 髙 﨑 ①). Checks the whole file.

    One pass over the file for the common case: the NUL check and the first candidate's decoding read the same
    chunks (a file with a NUL byte anywhere is refused for it, whatever else is wrong with it)."""
    candidates = (allowed_encoding(requested),) if requested else ENCODINGS
    chunks = _chunks(path)
    first = _decodes(chunks, candidates[0])
    for _rest in chunks:  # read on past the first undecodable chunk: a NUL byte anywhere is what is reported
        pass
    if first:
        return _named(candidates[0])
    for encoding in candidates[1:]:
        if _decodes(_chunks(path), encoding):
            return _named(encoding)
    if requested:
        raise ImportAborted(f"the file is not valid {requested} (at line {_bad_line(path, candidates[0])})")
    raise ImportAborted(
        f"the file is neither UTF-8 nor Shift_JIS/CP932 (undecodable bytes at line {_bad_line(path, 'utf-8')}); "
        "save it as CSV UTF-8 or name its encoding with --encoding"
    )


def _named(encoding: str) -> str:
    return "utf-8-sig" if encoding == "utf-8" else encoding


def _chunks(path: Path) -> Iterator[bytes]:
    """The file's bytes a megabyte at a time; ImportAborted at the first NUL byte."""
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            if b"\x00" in chunk:
                raise ImportAborted(
                    "the file contains NUL bytes: it is not a text CSV (save Excel or UTF-16 files as CSV UTF-8)"
                )
            yield chunk


def _decodes(chunks: Iterator[bytes], encoding: str) -> bool:
    """Whether the bytes decode as `encoding`; reads no further than the first chunk that does not."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for chunk in chunks:
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _bad_line(path: Path, encoding: str) -> int:
    line = 1
    with open(path, "rb") as f:
        for raw in f:
            try:
                raw.decode(encoding)
            except UnicodeDecodeError:
                return line
            line += 1
    return line


def read_header(reader) -> list[str]:
    """The first record of a reader, checked to be a header (line 1): ImportAborted naming the line otherwise."""
    try:
        header = next(reader)
    except StopIteration:
        raise ImportAborted("the file is empty: a header row is required") from None
    except csv.Error as exc:
        raise ImportAborted(f"line 1: the header cannot be read as CSV: {_csv_problem(exc)}") from exc
    if len(header) > MAX_HEADER_CELLS:
        raise ImportAborted(f"line 1: the header has {len(header):,} columns; at most {MAX_HEADER_CELLS:,} are read")
    if sum(map(len, header)) > MAX_HEADER_CHARS:
        raise ImportAborted(f"line 1: the header is longer than {MAX_HEADER_CHARS:,} characters: it is not a header row")
    if not any(cell.strip() for cell in header):
        raise ImportAborted("the first row is empty: a header row is required")
    return header


def _csv_problem(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return f"a cell is longer than {MAX_CELL_CHARS:,} characters"
    return str(exc)


def sniff(path: Path, encoding: str | None = None) -> tuple[str, list[str], str]:
    """(encoding, header cells, delimiter) of a file, to show before importing."""
    encoding = detect_encoding(path, encoding)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with open(path, encoding=encoding, newline="") as f:
        header = read_header(csv.reader(f, delimiter=delimiter))
    return encoding, [h.strip() for h in header], delimiter


class Block:
    """Consecutive records of a file as the csv module read them, and the lines they start on."""

    __slots__ = ("first", "ends", "rows")

    def __init__(self, first: int, ends: list[int], rows: list[list[str]]):
        self.first, self.ends, self.rows = first, ends, rows  # ends: the line each record ends on

    def lines(self) -> list[int]:
        """The line each record starts on (a quoted cell may span lines)."""
        ends = self.ends
        return [self.first] + [e + 1 for e in ends[:-1]] if ends else []

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(line, cells) of each record that is not blank."""
        for line, cells in zip(self.lines(), self.rows):
            if any(c.strip() for c in cells):
                yield line, cells


def read_rows(
    path: Path, encoding: str, spec: KindSpec, mapping: dict[str, str] | None, block_size: int = 10_000,
) -> tuple[dict[int, Column], list[str], Iterator[Block]]:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    f = open(path, encoding=encoding, newline="")  # noqa: SIM115 - closed by the generator
    reader = csv.reader(f, delimiter=delimiter)
    try:
        header = read_header(reader)
    except ImportAborted:
        f.close()
        raise
    resolved, warnings, missing = resolve_header(spec, header, mapping)
    if missing:
        f.close()
        raise ImportAborted(
            "missing required column(s): " + ", ".join(missing), column=",".join(missing)
        )
    return resolved, warnings, _blocks(f, reader, block_size)


def _blocks(f, reader, block_size: int) -> Iterator[Block]:
    """The records after the header, block_size at a time; closes the file when done."""
    last_end = reader.line_num  # the line the previous record ended on
    try:
        while True:
            rows: list[list[str]] = []
            ends: list[int] = []
            append, end = rows.append, ends.append
            failure = None
            try:
                for cells in itertools.islice(reader, block_size):
                    append(cells)
                    end(reader.line_num)
            except csv.Error as exc:
                failure = exc
            if rows:
                yield Block(last_end + 1, ends, rows)
                last_end = ends[-1]
            if failure is not None:
                line = last_end + 1
                raise ImportAborted(f"line {line}: not valid CSV ({_csv_problem(failure)})", line=line) from failure
            if len(rows) < block_size:
                return
    finally:
        f.close()
