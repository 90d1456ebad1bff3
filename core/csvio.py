"""CSV reading and writing shared by every import and export (docs/api.md §2, §4)."""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from decimal import Decimal
from typing import Any, TextIO

# Excel opens a UTF-8 file as UTF-8 only when it starts with a byte order mark (else as CP932: mojibake).
BOM = "\ufeff"

# OWASP: a text cell starting with one of these is a formula to a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def format_cell(value: Any) -> str:
    """Dates ISO, booleans true/false, lists `;`-joined, None empty; text starting like a formula gets a `'`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)  # numbers are written plain, never escaped
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        value = ";".join(str(v) for v in value)
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def write_rows(stream: TextIO, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([format_cell(v) for v in row])
        count += 1
    return count


def write_csv(rows: Iterable[Sequence[Any]], header: Sequence[str], output: str) -> int:
    """Write a UTF-8 CSV to a path, or to standard output for "-". Returns the number of data rows."""
    if output == "-":
        return write_rows(sys.stdout, header, rows)
    with open(output, "w", encoding="utf-8", newline="") as stream:
        return write_rows(stream, header, rows)


@contextmanager
def csv_file(path: Path, header: Sequence[str], *, bom: bool) -> Iterator[Callable[[Sequence[Any]], None]]:
    """A CSV file written a row at a time, cells as format_cell writes them (formula-safe); with `bom` for Excel
    (a download from a page or the API, as the pages' exports), without for the commands' files (as their
    exports). Yields the function that writes one row."""
    with open(path, "w", encoding="utf-8", newline="") as stream:
        if bom:
            stream.write(BOM)
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(header)

        def write_row(row: Sequence[Any]) -> None:
            writer.writerow([format_cell(v) for v in row])

        yield write_row


class Echo:
    """A file-like object whose write returns the line, for StreamingHttpResponse."""

    def write(self, value: str) -> str:
        return value


def stream_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterable[str]:
    writer = csv.writer(Echo(), lineterminator="\r\n")
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([format_cell(v) for v in row])
