"""CSV reading and writing shared by every import and export (interfaces.md §2, §4)."""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TextIO

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


class Echo:
    """A file-like object whose write returns the line, for StreamingHttpResponse."""

    def write(self, value: str) -> str:
        return value


def stream_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterable[str]:
    writer = csv.writer(Echo(), lineterminator="\r\n")
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([format_cell(v) for v in row])
