"""The CSV import engine (interfaces.md §1–2): reading, cell parsing, validation and batched upserts.

Each kind declares its columns in `<app>/importers.py` as a `KindSpec`. The engine streams the file in
batches; every batch costs a fixed number of queries (existing rows by key, referenced accounts), never one
per row. The whole import runs in one transaction: with errors (and without --skip-invalid), or on a dry
run, it is rolled back, so nothing is half-written.
"""

from __future__ import annotations

import codecs
import csv
import gc
import itertools
import operator
import datetime as dt
import re
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, models

from core.bulk import analyze_if_stale, cyclic_gc_paused

BATCH_SIZE = 2000
STAGED_BATCH_SIZE = 10_000
SAMPLE_ERRORS = 200
ENCODINGS = ("utf-8-sig", "cp932")


class ImportAborted(Exception):
    """The file cannot be read at all (encoding, empty, header): one message, nothing written."""

    def __init__(self, message: str, *, line: int = 1, column: str = ""):
        super().__init__(message)
        self.line, self.column, self.message = line, column, message


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


# --- reading ------------------------------------------------------------------------------------


def detect_encoding(path: Path, requested: str | None = None) -> str:
    """UTF-8 (with or without BOM), else CP932 (Excel's Shift_JIS, which also has 髙 﨑 ①). Checks the whole file."""
    candidates = (requested,) if requested else ENCODINGS
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            if b"\x00" in chunk:
                raise ImportAborted(
                    "the file contains NUL bytes: it is not a text CSV (save Excel or UTF-16 files as CSV UTF-8)"
                )
    for encoding in candidates:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise ImportAborted(f"unknown encoding {encoding!r}") from exc
        if _decodes(path, encoding):
            return "utf-8-sig" if encoding in ("utf-8", "utf8") else encoding
    if requested:
        raise ImportAborted(f"the file is not valid {requested} (at line {_bad_line(path, requested)})")
    raise ImportAborted(
        f"the file is neither UTF-8 nor Shift_JIS/CP932 (undecodable bytes at line {_bad_line(path, 'utf-8')}); "
        "save it as CSV UTF-8 or name its encoding with --encoding"
    )


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
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


def sniff(path: Path, encoding: str | None = None) -> tuple[str, list[str], str]:
    """(encoding, header cells, delimiter) of a file, to show before importing."""
    encoding = detect_encoding(path, encoding)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with open(path, encoding=encoding, newline="") as f:
        header = next(csv.reader(f, delimiter=delimiter), [])
    return encoding, [h.strip() for h in header], delimiter


# --- cells ----------------------------------------------------------------------------------------

EXCEL_DATE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")
EXCEL_DATETIME = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
WHOLE_NUMBER = re.compile(r"[+-]?\d+")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
CORPORATE_DIGITS = re.compile(r"\d{13}")
TRUE_WORDS = {"true", "1", "yes", "y", "はい", "t"}
FALSE_WORDS = {"false", "0", "no", "n", "いいえ", "f"}


class CellError(ValueError):
    pass


def normalise(value: str) -> str:
    # ASCII is NFKC-stable: skip the normaliser for the common case.
    return value.strip() if value.isascii() else unicodedata.normalize("NFKC", value).strip()


def unescape_text(value: str) -> str:
    """Drop the export's formula escape: a leading ' before = + - @ (and tab / CR)."""
    if len(value) >= 2 and value[0] == "'" and value[1] in "=+-@\t\r":
        return value[1:]
    return value


def parse_text(value: str) -> str:
    return unescape_text(value.strip())


def parse_int(value: str) -> int:
    text = normalise(value).replace(",", "")
    if not WHOLE_NUMBER.fullmatch(text):
        raise CellError(f"'{value}' is not a whole number")
    return int(text)


def parse_decimal(value: str) -> Decimal:
    text = normalise(value).replace(",", "").rstrip("%")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise CellError(f"'{value}' is not a number") from exc
    if not number.is_finite():
        raise CellError(f"'{value}' is not a number")
    return number


def parse_bool(value: str) -> bool:
    text = normalise(value).casefold()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError(f"'{value}' is not a yes/no value (true/false, 1/0, yes/no, はい/いいえ)")


def parse_date(value: str) -> dt.date:
    text = normalise(value)
    m = EXCEL_DATE.match(text)
    try:
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if ISO_DATE.fullmatch(text):
            return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CellError(f"'{value}' is not a valid date") from exc
    raise CellError(f"'{value}' is not a date (use 2026-04-01 or 2026/4/1)")


def parse_datetime(value: str, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """ISO 8601 with or without offset, or Excel's 2026/4/1 9:05; without an offset: business-zone local time."""
    text = normalise(value)
    m = EXCEL_DATETIME.match(text)
    if not m and not ISO_DATE.match(text):
        raise CellError(f"'{value}' is not a timestamp (use 2026-04-01T09:05:00+09:00 or 2026/4/1 9:05)")
    try:
        if m:
            result = dt.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6] or 0))
        else:
            result = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CellError(f"'{value}' is not a valid timestamp") from exc
    return result if result.tzinfo else result.replace(tzinfo=zone)


def parse_list(value: str) -> list[str]:
    return [unescape_text(part.strip()) for part in value.split(";") if part.strip()]


def parse_email(value: str) -> str:
    text = value.strip()
    try:
        validate_email(text)
    except ValidationError as exc:
        raise CellError(f"'{value}' is not an email address") from exc
    return text


def corporate_number_check_digit(body12: str) -> int:
    """法人番号: 9 − (Σ Pn×Qn mod 9), Pn the n-th digit from the right of the 12, Qn 1 for odd n, 2 for even n."""
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(body12), start=1))
    return 9 - total % 9


def parse_corporate_number(value: str) -> str:
    text = normalise(value)
    if not CORPORATE_DIGITS.fullmatch(text):
        raise CellError(f"'{value}' is not a corporate number (13 digits)")
    if int(text[0]) != corporate_number_check_digit(text[1:]):
        raise CellError(f"'{value}' has a wrong check digit (expected {corporate_number_check_digit(text[1:])})")
    return text


# --- specs -----------------------------------------------------------------------------------------

TEXT, INT, DECIMAL, BOOL, DATE, DATETIME, LIST, EMAIL, CHOICE, USER, ACCOUNT, CORPORATE_NUMBER = (
    "text", "int", "decimal", "bool", "date", "datetime", "list", "email", "choice", "user", "account", "corporate_number",
)


@dataclass(frozen=True)
class Column:
    name: str  # canonical CSV header
    kind: str = TEXT
    required: bool = False
    label_ja: str = ""
    attr: str = ""  # model attribute; defaults to name
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    empty: Any = None  # what a cleared cell stores

    @property
    def field(self) -> str:
        return self.attr or self.name


@dataclass
class KindSpec:
    kind: str
    model: type[models.Model]
    key: str  # column whose value identifies the row (external_id / username)
    columns: tuple[Column, ...]
    ignored: tuple[str, ...] = ()  # known derived columns (export_accounts) reported as ignored
    # Cross-field validation and defaults: (values, present columns, context) -> list of (column, message)
    check: Callable[[dict, set, ImportContext], list[tuple[str, str]]] | None = None
    # Final touches to a new or updated object before it is saved (derived fields).
    prepare: Callable[[models.Model, ImportContext], None] | None = None
    create_defaults: Callable[[ImportContext], dict] | None = None
    # Touches: rows without a key are identified by a natural key computed by this function.
    natural_key: Callable[[dict, ImportContext], str] | None = None
    # Fields `prepare` derives, compared to tell an update from an unchanged row.
    derived_fields: tuple[str, ...] = ()
    # The same derivations for the set-based PostgreSQL merge: db column -> SQL expression over the row's new
    # values, written {db_column}; {zone} is the business time zone.
    sql_derived: dict[str, str] | None = None
    # False: always the model-object path (users: passwords are set through the model).
    set_based: bool = True
    # The set-based path converts clean blocks column by column: given the block's staged columns (name -> text,
    # None for an empty cell), True when `check` cannot fail for any row (else the block is checked row by row).
    check_block: Callable[[dict[str, list]], bool] | None = None
    # The same for natural keys: the block's staged columns -> each row's natural key (None for a row with a key).
    natural_key_block: Callable[[dict[str, list], ImportContext], list[str | None]] | None = None

    def by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}


@dataclass
class ImportContext:
    zone: zoneinfo.ZoneInfo
    users: dict[str, Any] = field(default_factory=dict)  # username -> User (loaded once)
    accounts: dict[str, int] = field(default_factory=dict)  # external_id -> id (this batch)

    def role_of(self, user_id: int) -> str:
        if not hasattr(self, "_roles"):
            self._roles = {u.id: u.role for u in self.users.values()}
        return self._roles.get(user_id, "")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    rows: int = 0
    error_sample: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    encoding: str = ""

    @property
    def summary(self) -> str:
        return f"created={self.created} updated={self.updated} unchanged={self.unchanged} errors={self.errors}"


def resolve_header(
    spec: KindSpec, header: Sequence[str], mapping: dict[str, str] | None
) -> tuple[dict[int, Column], list[str], list[str]]:
    """Header cell index -> column; plus warnings (unknown or ignored columns) and missing required columns."""
    by_name = spec.by_name()
    by_label = {c.label_ja: c for c in spec.columns if c.label_ja}
    mapping = mapping or {}
    resolved: dict[int, Column] = {}
    warnings: list[str] = []
    for index, raw in enumerate(header):
        name = unicodedata.normalize("NFKC", raw).strip()
        target = mapping.get(raw.strip(), mapping.get(name, name))
        column = by_name.get(target) or by_label.get(target) or by_name.get(target.lower())
        if column is None:
            if target.lower() in spec.ignored:
                warnings.append(f"column {raw!r} is derived and ignored on import")
            else:
                warnings.append(f"unknown column {raw!r} ignored")
            continue
        if column in resolved.values():
            warnings.append(f"column {raw!r} repeats {column.name!r} and is ignored")
            continue
        resolved[index] = column
    present = {c.name for c in resolved.values()}
    missing = [c.name for c in spec.columns if c.required and c.name not in present]
    return resolved, warnings, missing


def mapping_for(spec: KindSpec, header: Sequence[str], mapping: dict[str, str] | None = None) -> dict[str, str | None]:
    """What each header cell would import into (None: ignored), for the import page's editable mapping."""
    resolved, _warnings, _missing = resolve_header(spec, header, mapping)
    return {cell: (resolved[i].name if i in resolved else None) for i, cell in enumerate(header)}


def _cell_parser(column: Column, context: ImportContext) -> Callable[[str], Any]:
    """The parse function of one column, chosen once per import rather than once per cell."""
    kind = column.kind
    if kind == TEXT:
        return parse_text
    if kind == INT:
        return parse_int
    if kind == DECIMAL:
        return parse_decimal
    if kind == BOOL:
        return parse_bool
    if kind == DATE:
        return parse_date
    if kind == DATETIME:
        zone = context.zone
        return lambda raw: parse_datetime(raw, zone)
    if kind == LIST:
        return parse_list
    if kind == EMAIL:
        return parse_email
    if kind == CORPORATE_NUMBER:
        return parse_corporate_number
    if kind == CHOICE:
        choices = frozenset(column.choices)

        def parse_choice(raw: str) -> str:
            value = normalise(raw).lower()
            if value not in choices:
                raise CellError(f"'{raw}' is not one of: {', '.join(column.choices)}")
            return value

        return parse_choice
    if kind == USER:
        users = context.users

        def parse_user(raw: str) -> str:
            value = unescape_text(raw.strip())
            if value not in users:
                raise CellError(f"unknown user '{value}'")
            return value

        return parse_user
    if kind == ACCOUNT:
        return lambda raw: unescape_text(raw.strip())  # resolved per batch
    raise ValueError(kind)  # pragma: no cover - a spec error


def _column_parser(column: Column, context: ImportContext) -> Callable[[str], Any]:
    """_cell_parser plus the column's length and range limits."""
    parse = _cell_parser(column, context)
    max_length, low, high = column.max_length, column.min_value, column.max_value
    if column.kind in (INT, DECIMAL) and (low is not None or high is not None):
        def parse_number(raw: str) -> Any:
            value = parse(raw)
            if low is not None and value < low:
                raise CellError(f"'{raw}' is below {low}")
            if high is not None and value > high:
                raise CellError(f"'{raw}' is above {high}")
            return value

        return parse_number
    if max_length and column.kind in (TEXT, EMAIL, CHOICE, USER, ACCOUNT, CORPORATE_NUMBER):
        def parse_limited(raw: str) -> Any:
            value = parse(raw)
            if len(value) > max_length:
                raise CellError(f"longer than {max_length} characters")
            return value

        return parse_limited
    return parse


def parse_cell(column: Column, raw: str, context: ImportContext) -> Any:
    return _column_parser(column, context)(raw)


class ParsedRow:
    """One data row: parsed values of its non-empty cells, the names of its empty ones, and its raw cells."""

    __slots__ = ("line", "values", "cleared", "cells", "positions")

    def __init__(self, line: int, values: dict[str, Any], cleared: set[str], cells: list[str], positions: dict[str, int]):
        self.line, self.values, self.cleared, self.cells, self.positions = line, values, cleared, cells, positions

    @property
    def raw(self) -> dict[str, str]:
        """Column name -> the cell as written (built only when an error needs it)."""
        n = len(self.cells)
        return {name: (self.cells[i] if i < n else "") for name, i in self.positions.items()}


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
        header = next(reader)
    except StopIteration:
        f.close()
        raise ImportAborted("the file is empty: a header row is required") from None
    except csv.Error as exc:
        f.close()
        raise ImportAborted(f"the header cannot be read as CSV: {exc}") from exc
    if not any(cell.strip() for cell in header):
        f.close()
        raise ImportAborted("the first row is empty: a header row is required")
    resolved, warnings, missing = resolve_header(spec, header, mapping)
    if missing:
        f.close()
        raise ImportAborted(
            "missing required column(s): " + ", ".join(missing), column=",".join(missing)
        )

    def blocks() -> Iterator[Block]:
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
                    raise ImportAborted(f"line {last_end + 1}: not valid CSV ({failure})", line=last_end + 1) from failure
                if len(rows) < block_size:
                    return
        finally:
            f.close()

    return resolved, warnings, blocks()


class RowParser:
    """Parses rows of one file: each column's parse function is chosen once."""

    def __init__(self, resolved: dict[int, Column], context: ImportContext):
        self.plan = [(index, column.name, column.required, _column_parser(column, context)) for index, column in resolved.items()]
        self.positions = {column.name: index for index, column in resolved.items()}

    def __call__(self, line: int, cells: list[str]) -> tuple[ParsedRow, list[RowError]]:
        values: dict[str, Any] = {}
        cleared: set[str] = set()
        errors: list[RowError] = []
        n = len(cells)
        for index, name, required, parse in self.plan:
            cell = cells[index] if index < n else ""
            if not cell or cell.isspace():
                if required:
                    errors.append(RowError(line, name, cell, "required value is empty"))
                cleared.add(name)
                continue
            try:
                values[name] = parse(cell)
            except CellError as exc:
                errors.append(RowError(line, name, cell, str(exc)))
        return ParsedRow(line, values, cleared, cells, self.positions), errors


def parse_row(line: int, cells: list[str], resolved: dict[int, Column], context: ImportContext) -> tuple[ParsedRow, list[RowError]]:
    return RowParser(resolved, context)(line, cells)


# --- writing ----------------------------------------------------------------------------------------


_ASCII_INTEGERS = re.compile(r"[+-]?[0-9]+(?:\x00[+-]?[0-9]+)*")
_ASCII_ISO_DATES = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:\x00[0-9]{4}-[0-9]{2}-[0-9]{2})*")
# Offsets up to ±14:59 (PostgreSQL refuses beyond ±15:59; rarer offsets go through the parser and UTC).
_TIMESTAMP = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?[+-](?:0[0-9]|1[0-4]):[0-5][0-9]"
_ASCII_ISO_TIMESTAMPS = re.compile(f"{_TIMESTAMP}(?:\x00{_TIMESTAMP})*")
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


def _copy_cell(value: str | None) -> str:
    """One cell in COPY's text format (NULL as \\N)."""
    if value is None:
        return "\\N"
    if _COPY_SPECIAL.search(value):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


_NULL = {None: "\\N"}


def _copy_column(values: list[str | None]) -> list[str] | Sequence[str]:
    """A staged column in COPY's text format, cell by cell only when a cell needs escaping."""
    if _COPY_SPECIAL.search("".join(filter(None, values))):
        return list(map(_copy_cell, values))
    return list(map(_NULL.get, values, values)) if None in values else values


class _RollBack(Exception):
    """Raised inside the import transaction to undo it (dry run, or errors without --skip-invalid)."""


def _model_value(column: Column, value: Any, context: ImportContext) -> tuple[str, Any]:
    """The model attribute and value a parsed cell sets (references become ids)."""
    if column.kind == USER:
        return f"{column.field}_id", (context.users[value].id if value is not None else None)
    if column.kind == ACCOUNT:
        return f"{column.field}_id", context.accounts.get(value)
    return column.field, value


def _cleared_value(column: Column) -> tuple[str, Any]:
    if column.kind in (USER, ACCOUNT):
        return f"{column.field}_id", None
    if column.empty is not None:
        return column.field, column.empty
    if column.kind in (TEXT, EMAIL, CHOICE, CORPORATE_NUMBER):
        return column.field, ""
    if column.kind == LIST:
        return column.field, []
    return column.field, None


def _by_field(model: type[models.Model], field_name: str, values: list) -> dict:
    """Existing rows by a key column in one query (also for keys unique only through a partial constraint)."""
    if not values:
        return {}
    return {getattr(obj, field_name): obj for obj in model.objects.filter(**{f"{field_name}__in": values})}


class Importer:
    def __init__(self, *, spec: KindSpec, context: ImportContext, blank_clears: bool, on_error: Callable[[RowError], None]):
        self.spec = spec
        self.context = context
        self.blank_clears = blank_clears
        self.on_error = on_error
        self.result = ImportResult()
        self.seen_keys: set[str] = set()
        self.columns = spec.by_name()
        self.account_columns = [c.name for c in spec.columns if c.kind == ACCOUNT]

    def resolve_accounts(self, refs: set[str]) -> None:
        """context.accounts: external_id -> id of the accounts this batch references, in one query."""
        from accounts.models import Account

        self.context.accounts = dict(Account.objects.filter(external_id__in=refs).values_list("external_id", "id"))

    def finish(self, *, write: bool) -> None:
        """Called once after the last batch (the staged importer merges here)."""

    def abandon(self) -> None:
        """Called when the import ends, also on failure (the staged importer stops its worker)."""

    def flush_block(self, block: Block, parse: RowParser) -> bool:
        """Validate and write one block of records, row by row (True: the block went row by row)."""
        self.flush([parse(line, cells) for line, cells in block.records()])
        return True

    def flush(self, batch: list[tuple[ParsedRow, list[RowError]]]) -> None:
        if not batch:
            return
        spec, context = self.spec, self.context
        account_columns = self.account_columns
        if account_columns:
            self.resolve_accounts({row.values[name] for row, _ in batch for name in account_columns if name in row.values})
        accounts, seen, key_name, check = context.accounts, self.seen_keys, spec.key, spec.check
        valid: list[ParsedRow] = []
        for row, errors in batch:
            values = row.values
            errors = list(errors)
            for name in account_columns:
                if name in values and values[name] not in accounts:
                    errors.append(RowError(row.line, name, row.raw[name], f"unknown account '{values[name]}'"))
            key = values.get(key_name)
            if key is not None and not errors:
                if key in seen:
                    errors.append(RowError(row.line, key_name, row.raw.get(key_name, ""),
                                           f"duplicate {key_name} '{key}' in this file (first given on an earlier line)"))
                else:
                    seen.add(key)
            if not errors and check:
                present = set(values) | row.cleared
                errors += [RowError(row.line, col, row.raw.get(col, ""), msg) for col, msg in check(values, present, context)]
            self.result.rows += 1
            if errors:
                self.result.errors += 1
                for error in errors:
                    self.on_error(error)
                continue
            valid.append(row)
        if valid:
            self._write(valid)

    def _write(self, rows: list[ParsedRow]) -> None:
        spec, context, model = self.spec, self.context, self.spec.model
        keyed = [r for r in rows if r.values.get(spec.key) is not None]
        existing = _by_field(model, spec.key, [r.values[spec.key] for r in keyed])
        by_natural: dict[str, Any] = {}
        natural_keys: dict[int, str] = {}
        if spec.natural_key:
            for r in rows:
                if r.values.get(spec.key) is None:
                    natural_keys[id(r)] = spec.natural_key(r.values, context)
            if natural_keys:
                by_natural = _by_field(model, "natural_key", list(natural_keys.values()))
        to_create, to_update, update_fields = [], [], set()
        for row in rows:
            if id(row) in natural_keys:
                nk = natural_keys[id(row)]
                if nk in by_natural or nk in self.seen_keys:
                    self.result.unchanged += 1  # the same touch seen again
                    continue
                self.seen_keys.add(nk)
                obj = model(**(spec.create_defaults(context) if spec.create_defaults else {}))
                self._assign(obj, row, creating=True)
                obj.natural_key = nk
                if spec.prepare:
                    spec.prepare(obj, context)
                to_create.append(obj)
                continue
            obj = existing.get(row.values[spec.key])
            if obj is None:
                obj = model(**(spec.create_defaults(context) if spec.create_defaults else {}))
                self._assign(obj, row, creating=True)
                if spec.prepare:
                    spec.prepare(obj, context)
                to_create.append(obj)
            else:
                changed = self._assign(obj, row, creating=False)
                if spec.prepare:
                    before = {f: getattr(obj, f) for f in spec.derived_fields}
                    spec.prepare(obj, context)
                    changed |= {f for f, v in before.items() if getattr(obj, f) != v}
                if changed:
                    to_update.append(obj)
                    update_fields |= changed
                else:
                    self.result.unchanged += 1
        if to_create:
            model.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
            self.result.created += len(to_create)
        if to_update:
            model.objects.bulk_update(to_update, sorted(update_fields), batch_size=500)
            self.result.updated += len(to_update)

    def _assign(self, obj, row: ParsedRow, *, creating: bool) -> set[str]:
        changed: set[str] = set()
        for name, value in row.values.items():
            attr, model_value = _model_value(self.columns[name], value, self.context)
            if creating or getattr(obj, attr) != model_value:
                setattr(obj, attr, model_value)
                changed.add(attr)
        if self.blank_clears or creating:
            for name in row.cleared:
                column = self.columns[name]
                if creating and not self.blank_clears:
                    continue  # a new row keeps the field's default
                attr, model_value = _cleared_value(column)
                if getattr(obj, attr) != model_value:
                    setattr(obj, attr, model_value)
                    changed.add(attr)
        return changed


class StagedImporter(Importer):
    """PostgreSQL: valid rows go by COPY into a temporary staging table and are merged set-wise, chunk by chunk.

    A block of records whose every cell is clean is validated column by column (`_flush_clean`: the column's
    parser once per distinct cell, or a vectorised check of plain ASCII cells that gives the same values) and
    staged as COPY text without a Python object per row. Any block with a doubtful cell goes row by row through
    the same validation as `Importer` (same messages, same order); only writing differs: no model objects and no
    per-batch reads of existing rows. Each chunk of valid rows is merged by one INSERT of the new rows (anti-join
    on the key, or on the natural key for touches without external_id) and, unless all keyed rows were new, one
    UPDATE of the rows whose values differ (IS DISTINCT FROM, so a re-import writes nothing). Keys are
    unique across the file (a repeat is an error, a repeated natural key is counted unchanged here), so chunks
    never overlap. A worker thread runs each chunk's COPY and merge on the same connection and transaction while
    this thread parses the next chunk: the database and Python work at the same time.
    """

    STAGE = "import_stage"
    CHUNK_ROWS = 50_000
    ACCOUNT_CACHE_LIMIT = 500_000  # accounts loaded up front when there are at most this many

    def __init__(self, *, resolved: dict[int, Column], write_despite_errors: bool, **kwargs):
        super().__init__(**kwargs)
        index_of = {c.name: i for i, c in resolved.items()}
        self.present = [c for c in self.spec.columns if c.name in index_of]
        self.write_despite_errors = write_despite_errors  # dry run or --skip-invalid: errors do not stop writing
        self.pending: list[str] = []  # COPY text blocks
        self.pending_rows = 0
        self.account_texts: dict[str, str] = {}  # external_id -> the account's id as staged text
        self.width = max(index_of.values()) + 1  # records shorter than this take the row-by-row path
        # Column-wise conversion of a block (the fast path): (column, its cell index, converter), staging order.
        self.converters = [(c, index_of[c.name], self._column_converter(c)) for c in self.present]
        self.account_cache: dict[str, int] = {}
        self.preloaded = False
        self.plan = [(c.name, self._stage_text(c)) for c in self.present]
        defaults = self.spec.create_defaults(self.context) if self.spec.create_defaults else {}
        self.merge = StagedMerge(spec=self.spec, present=self.present, stage=self.STAGE, blank_clears=self.blank_clears,
                                 zone=str(self.context.zone), defaults=defaults)
        self._create_stage()
        if any(c.kind == ACCOUNT for c in self.present):
            self._preload_accounts()
        self.worker = _ChunkWorker(connection.connection, self.merge)

    # -- reading helpers

    def _preload_accounts(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'accounts_account'::regclass")
            estimate = cursor.fetchone()[0]
            if estimate <= self.ACCOUNT_CACHE_LIMIT and (
                estimate >= 0 or cursor.execute("SELECT count(*) FROM accounts_account").fetchone()[0] <= self.ACCOUNT_CACHE_LIMIT
            ):
                cursor.execute("SELECT external_id, id FROM accounts_account")
                self.account_cache = dict(cursor.fetchall())
                self.preloaded = True
        self.context.accounts = self.account_cache

    def resolve_accounts(self, refs: set[str]) -> None:
        if self.preloaded:
            return  # every account is in the cache: an unknown reference is unknown
        cache = self.account_cache
        missing = [ref for ref in refs if ref not in cache]
        if missing:
            if len(cache) + len(missing) > self.ACCOUNT_CACHE_LIMIT:
                cache.clear()
                missing = list(refs)
            with connection.cursor() as cursor:
                cursor.execute("SELECT external_id, id FROM accounts_account WHERE external_id = ANY(%s)", [missing])
                cache.update(cursor.fetchall())
        self.context.accounts = cache

    # -- staging

    def _create_stage(self) -> None:
        columns = ", ".join(f"c{i} text" for i in range(len(self.present)))
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_my_temp_schema()::int = 0")
            if cursor.fetchone()[0]:
                # Before the session's first temporary table only: room for the staging table in memory.
                cursor.execute("SET temp_buffers = '64MB'")
            cursor.execute(f"DROP TABLE IF EXISTS {self.STAGE}")
            cursor.execute(f"CREATE TEMPORARY TABLE {self.STAGE} (nk text, {columns})")
            analyze_if_stale(self.spec.model._meta.db_table)
            # Foreign keys are checked after each merge statement (in the worker, while parsing goes on) rather
            # than all at commit; restored in finish().
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def _stage_text(self, column: Column) -> Callable[[Any], str]:
        """A parsed value as text for the staging table (cast back to the column's type by the merge)."""
        kind = column.kind
        if kind == USER:
            users = self.context.users
            return lambda v: str(users[v].id)
        if kind == ACCOUNT:
            context = self.context
            return lambda v: str(context.accounts[v])
        if kind == BOOL:
            return lambda v: "t" if v else "f"
        if kind == DATE:
            return dt.date.isoformat
        if kind == DATETIME:
            # As UTC: any offset Python accepts (< 24 h) would not be one PostgreSQL accepts (≤ 15:59).
            utc = dt.timezone.utc
            return lambda v: v.astimezone(utc).isoformat()
        if kind == LIST:
            return ";".join  # parts never hold ';': the merge splits them again
        if kind in (INT, DECIMAL):
            return str
        return lambda v: v

    # -- the fast path: a whole block converted column by column

    def _column_converter(self, column: Column) -> Callable[[Sequence[str]], list | None]:
        """cells -> staged text (None: empty cell) for a block's column, or None when a cell is not clean.

        "Not clean" is anything the row-by-row path would report: the block then takes that path, which gives
        the messages. Every value is the one the row-by-row parser gives; the vectorised checks only accept
        cells whose meaning is plain (ASCII, canonical form) and hand every other column to `_memo`, which
        runs the column's own parser once per distinct cell.
        """
        kind, required = column.kind, column.required
        memo = self._memo_converter(column)
        if kind == TEXT:
            max_length = column.max_length

            def text(cells: Sequence[str]) -> list | None:
                values = list(map(str.strip, cells))
                if "'" in "".join(values):
                    return memo(cells)  # maybe the export's formula escape
                if max_length and max(map(len, values)) > max_length:
                    return None
                if "" in values:
                    if required:
                        return None
                    return [v or None for v in values]
                return values

            return text
        if kind == INT:
            low, high = column.min_value, column.max_value

            def integer(cells: Sequence[str]) -> list | None:
                values = list(map(str.strip, cells))
                if "" in values or not _ASCII_INTEGERS.fullmatch("\x00".join(values)):
                    return memo(cells)  # empty cells, separators, full-width digits, or not numbers at all
                numbers = list(map(int, values))
                if (low is not None and min(numbers) < low) or (high is not None and max(numbers) > high):
                    return None
                return list(map(str, numbers))

            return integer
        if kind in (DATE, DATETIME):
            # ISO 8601 with an offset (timestamps), hours, minutes and seconds in range: PostgreSQL reads the text
            # as Python does once the calendar date is known to exist (checked once per distinct date).
            pattern = _ASCII_ISO_DATES if kind == DATE else _ASCII_ISO_TIMESTAMPS
            date_part = operator.itemgetter(slice(0, 10))

            def when(cells: Sequence[str]) -> list | None:
                values = list(map(str.strip, cells))
                if "" in values or not pattern.fullmatch("\x00".join(values)):
                    return memo(cells)  # Excel's form, no offset (business zone), Z, or not a date at all
                try:
                    for day in set(map(date_part, values)):
                        dt.date.fromisoformat(day)
                except ValueError:
                    return None
                return values

            return when
        if kind == ACCOUNT:
            texts = self.account_texts

            def account(cells: Sequence[str]) -> list | None:
                values = list(map(str.strip, cells))
                if "" in values or "'" in "".join(values):
                    return memo(cells)
                ids = list(map(texts.get, values))
                if None in ids:
                    missing = set(values).difference(texts)
                    self.resolve_accounts(missing)
                    accounts = self.context.accounts
                    if self.preloaded:  # every account is known: turn them all into text once
                        missing = () if texts else accounts.keys()
                    elif len(texts) + len(missing) > self.ACCOUNT_CACHE_LIMIT:
                        texts.clear()
                        missing = set(values)
                    texts.update((ref, str(accounts[ref])) for ref in missing if ref in accounts)
                    ids = list(map(texts.get, values))
                    if None in ids:
                        return None  # an unknown account
                return ids

            return account
        return memo

    def _memo_converter(self, column: Column) -> Callable[[Sequence[str]], list | None]:
        """The column's own parser, run once per distinct cell of the block."""
        parse, text, required = _column_parser(column, self.context), self._stage_text(column), column.required
        account = column.kind == ACCOUNT

        def convert(cells: Sequence[str]) -> list | None:
            distinct = set(cells)
            if account:
                self.resolve_accounts({unescape_text(c.strip()) for c in distinct if c and not c.isspace()})
            memo: dict[str, str | None] = {}
            for cell in distinct:
                if not cell or cell.isspace():
                    if required:
                        return None
                    memo[cell] = None
                    continue
                try:
                    memo[cell] = text(parse(cell))
                except (CellError, KeyError):  # KeyError: an unknown account
                    return None
            return list(map(memo.__getitem__, cells))

        return convert

    def flush_block(self, block: Block, parse: RowParser) -> bool:
        return not self._flush_clean(block.rows) and super().flush_block(block, parse)

    def _flush_clean(self, rows: list[list[str]]) -> bool:
        """Validate and stage a block column by column; False (nothing done) when a row needs the row-by-row path."""
        if min(map(len, rows)) < self.width:
            return False  # blank lines and short records
        cells = list(zip(*rows))
        staged: dict[str, list] = {}
        for column, index, convert in self.converters:
            values = convert(cells[index])
            if values is None:
                return False
            staged[column.name] = values
        spec = self.spec
        if spec.check is not None and (spec.check_block is None or not spec.check_block(staged)):
            return False  # some row may fail the cross-field check: the row-by-row path words it
        keys = staged.get(spec.key)
        unkeyed = spec.natural_key is not None and (keys is None or None in keys)
        if unkeyed and spec.natural_key_block is None:
            return False  # natural keys computed row by row
        seen = self.seen_keys
        if keys is not None:
            given = [k for k in keys if k is not None] if unkeyed else keys
            if not seen.isdisjoint(given) or len(set(given)) != len(given):
                return False  # a repeated key: the row-by-row path reports the later row
            seen.update(given)
        self.result.rows += len(rows)
        if self.result.errors and not self.write_despite_errors:
            return True  # everything will be rolled back: validating the rest is all that is left to do
        columns = [_copy_column(staged[c.name]) for c in self.present]
        natural: Sequence[str] = itertools.repeat("\\N")
        if unkeyed:
            # Rows without a key are told apart by their natural key: seen before (in this file) is unchanged.
            natural, keep = [], []
            for i, nk in enumerate(spec.natural_key_block(staged, self.context)):
                if nk is None:
                    natural.append("\\N")
                elif nk in seen:
                    self.result.unchanged += 1
                    continue
                else:
                    seen.add(nk)
                    natural.append(nk)
                keep.append(i)
            if len(keep) < len(rows):
                columns = [[column[i] for i in keep] for column in columns]
            if not keep:
                return True
        self._stage("\n".join(map("\t".join, zip(natural, *columns))) + "\n", len(columns[0]))
        return True

    def _stage(self, text: str, rows: int) -> None:
        self.pending.append(text)
        self.pending_rows += rows
        if self.pending_rows >= self.CHUNK_ROWS:
            self.worker.submit((self.pending, self.pending_rows))
            self.pending, self.pending_rows = [], 0

    def _write(self, rows: list[ParsedRow]) -> None:
        if self.result.errors and not self.write_despite_errors:
            return  # everything will be rolled back: validating the rest is all that is left to do
        spec, context, plan = self.spec, self.context, self.plan
        natural, key, seen = spec.natural_key, spec.key, self.seen_keys
        lines = []
        for row in rows:
            values = row.values
            nk = None
            if natural and values.get(key) is None:
                nk = natural(values, context)
                if nk in seen:
                    self.result.unchanged += 1  # the same touch again in this file
                    continue
                seen.add(nk)
            lines.append("\t".join(map(_copy_cell, [nk] + [None if (v := values.get(name)) is None else text(v)
                                                           for name, text in plan])))
        if lines:
            self._stage("\n".join(lines) + "\n", len(lines))

    def finish(self, *, write: bool) -> None:
        try:
            if write and self.pending:
                self.worker.submit((self.pending, self.pending_rows))
            self.pending, self.pending_rows = [], 0
            self.worker.close()
        finally:
            self.worker.stop()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(f"DROP TABLE IF EXISTS {self.STAGE}")
        if write:
            self.result.updated += self.worker.updated
            self.result.created += self.worker.created
            self.result.unchanged += self.worker.staged - self.worker.updated - self.worker.created

    def abandon(self) -> None:
        self.worker.stop()


class _ChunkWorker:
    """Runs COPY + merge of each submitted chunk in a thread, one chunk at a time, on the import's connection.

    psycopg connections are thread-safe (statements are serialised by the connection's lock), and this thread
    only waits for the queue while the worker runs: at most two chunks are in memory at once.
    """

    def __init__(self, raw_connection, merge: StagedMerge):
        import queue
        import threading

        self.connection, self.merge = raw_connection, merge
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.staged = self.updated = self.created = 0
        self.thread = threading.Thread(target=self._run, name="import-merge", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (chunk := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self._merge(chunk)
                except BaseException as exc:  # noqa: BLE001 - handed to the importing thread
                    self.error = exc

    def _merge(self, chunk: tuple[list[str], int]) -> None:
        stage = self.merge.stage
        blocks, rows = chunk
        with self.connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {stage}")
            with cursor.copy(f"COPY {stage} FROM STDIN") as copy:
                for text in blocks:
                    copy.write(text)
            updated, created = self.merge.run(cursor)
        self.staged += rows
        self.updated += updated
        self.created += created

    def submit(self, chunk: tuple[list[str], int]) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(chunk)

    def close(self) -> None:
        """Wait for the submitted chunks; raise what the worker raised."""
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error

    def stop(self) -> None:
        """Let the worker finish its chunk and end, without raising (the import failed elsewhere)."""
        if self.thread.is_alive():
            self.error = self.error or _RollBack()
            self.queue.put(None)
            self.thread.join()


class StagedMerge:
    """The two statements that apply a staging table (text cells, NULL = empty cell) to a model's table."""

    def __init__(self, *, spec: KindSpec, present: Sequence[Column], stage: str, blank_clears: bool, zone: str,
                 defaults: dict[str, Any]):
        self.spec, self.stage, self.blank_clears, self.zone = spec, stage, blank_clears, zone
        meta = spec.model._meta
        q = connection.ops.quote_name
        self.q = q
        self.table = q(meta.db_table)
        self.pk = q(meta.pk.column)
        self.fields = [f for f in meta.concrete_fields if not f.primary_key]
        self.staged = {meta.get_field(c.field).column: (f"s.c{i}", c) for i, c in enumerate(present)}
        self.key_column = meta.get_field(spec.by_name()[spec.key].field).column
        self.key_stage = self.staged[self.key_column][0] if self.key_column in self.staged else None
        self.defaults = defaults
        quoted_zone = "'" + zone.replace("'", "''") + "'"
        self.derived = {col: sql.replace("{zone}", quoted_zone) for col, sql in (spec.sql_derived or {}).items()}
        self.update_sql, self.insert_sql = self._update_sql(), self._insert_sql()

    def _cast(self, expr: str, field: models.Field, column: Column | None = None) -> str:
        if column is not None and column.kind == LIST:
            return f"to_jsonb(string_to_array({expr}, ';'))"
        return f"({expr})::{field.db_type(connection)}"

    def _param(self, field: models.Field, value: Any, params: list) -> str:
        params.append(field.get_db_prep_save(value, connection))
        return self._cast("%s", field)

    def _level1(self, *, creating: bool, params: list) -> list[str]:
        """Every column's new value: a staged cell, else (empty cell or absent column) the kept or default value."""
        defaults = self.defaults
        exprs = []
        for model_field in self.fields:
            col = model_field.column
            if creating and (getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False)):
                expr = "now()"
            elif col in self.staged:
                stage_col, column = self.staged[col]
                new = self._cast(stage_col, model_field, column)
                if self.blank_clears:
                    fallback = self._param(model_field, _cleared_value(column)[1], params)
                elif creating:
                    fallback = self._param(model_field, defaults.get(model_field.name, model_field.get_default()), params)
                else:
                    fallback = f"t0.{self.q(col)}"
                expr = f"COALESCE({new}, {fallback})"
            elif col == "natural_key" and self.spec.natural_key:
                expr = "s.nk" if creating else f"t0.{self.q(col)}"
            elif creating:
                expr = self._param(model_field, defaults.get(model_field.name, model_field.get_default()), params)
            else:
                expr = f"t0.{self.q(col)}"
            exprs.append(f"{expr} AS {self.q(col)}")
        return exprs

    def _level2(self) -> list[str]:
        cols = []
        for model_field in self.fields:
            col = model_field.column
            if col in self.derived:
                expr = self.derived[col]
                for f in self.fields:
                    expr = expr.replace("{" + f.column + "}", f"n1.{self.q(f.column)}")
                cols.append(f"{expr} AS {self.q(col)}")
            else:
                cols.append(f"n1.{self.q(col)}")
        return cols

    def run(self, cursor) -> tuple[int, int]:
        """(updated, created). The statements are built once (in the importing thread), run once per chunk.

        A chunk is small next to the table it goes into: index probes per staged row cost what the chunk costs,
        where a hash join would read the whole table once per chunk.
        """
        updated = created = 0
        cursor.execute("SET enable_hashjoin = off")
        cursor.execute("SET enable_mergejoin = off")
        cursor.execute("SET jit = off")  # compiling costs more than a chunk's statements run
        try:
            # New rows first: when every keyed row of the chunk was new (a first load), there is nothing to update
            # and the UPDATE's probes are saved. Otherwise the UPDATE also meets the rows just inserted, finds them
            # equal (IS DISTINCT FROM) and leaves them alone.
            created_by_key = 0
            for i, sql in enumerate(self.insert_sql):
                cursor.execute(*sql)
                created += cursor.rowcount
                if i == 0 and self.key_stage:  # the first INSERT is the one by key (see _insert_sql)
                    created_by_key = cursor.rowcount
            if self.update_sql:
                cursor.execute(f"SELECT count(*) FROM {self.stage} s WHERE {self.key_stage} IS NOT NULL")
                if cursor.fetchone()[0] > created_by_key:
                    cursor.execute(*self.update_sql)
                    updated = cursor.rowcount
        finally:
            cursor.execute("RESET enable_hashjoin")
            cursor.execute("RESET enable_mergejoin")
            cursor.execute("RESET jit")
        return updated, created

    def _update_sql(self) -> tuple[str, list] | None:
        q = self.q
        params: list = []
        level1 = self._level1(creating=False, params=params)
        changing = [f.column for f in self.fields
                    if (f.column in self.staged or f.column in self.derived) and f.column != self.key_column]
        if not changing or not self.key_stage:
            return None
        stamps = [f.column for f in self.fields if getattr(f, "auto_now", False)]
        sets = ", ".join([f"{q(c)} = n.{q(c)}" for c in changing] + [f"{q(c)} = now()" for c in stamps])
        old = ", ".join(f"t.{q(c)}" for c in changing)
        new = ", ".join(f"n.{q(c)}" for c in changing)
        return (
            f"UPDATE {self.table} AS t SET {sets} FROM ("
            f"SELECT n1.id, {', '.join(self._level2())} FROM ("
            f"SELECT t0.{self.pk} AS id, {', '.join(level1)} FROM {self.stage} s "
            f"JOIN {self.table} t0 ON t0.{q(self.key_column)} = {self.key_stage} AND t0.{q(self.key_column)} IS NOT NULL) n1) n "
            f"WHERE t.{self.pk} = n.id AND ROW({old}) IS DISTINCT FROM ROW({new})",
            params,
        )

    def _insert_sql(self) -> list[tuple[str, list]]:
        """One INSERT per way of telling a new row (key, natural key): each an anti-join, never an OR of two.

        ``OFFSET 0`` keeps each NOT EXISTS a probe of the key's unique index per staged row. Pulled up into a join,
        it was planned from the table's statistics, which a first load into an emptied table does not have yet:
        the planner took the table for one row and compared every staged row with every row of the table, chunk
        after chunk (150k touches took four and a half minutes instead of two seconds)."""
        q = self.q
        new_rows = []
        if self.key_stage:
            new_rows.append(f"{self.key_stage} IS NOT NULL AND NOT EXISTS "
                            f"(SELECT 1 FROM {self.table} t0 WHERE t0.{q(self.key_column)} = {self.key_stage} "
                            f"AND t0.{q(self.key_column)} IS NOT NULL OFFSET 0)")
        if self.spec.natural_key:
            new_rows.append("s.nk IS NOT NULL AND NOT EXISTS "
                            f"(SELECT 1 FROM {self.table} t0 WHERE t0.natural_key = s.nk AND t0.natural_key IS NOT NULL "
                            f"OFFSET 0)")
        # Rows go in in the order of the account they belong to (else of their key): the foreign key checks and
        # the index entries of one account then hit the same pages one after the other.
        order = next((col for col, (_, column) in self.staged.items() if column.kind == ACCOUNT), self.key_column)
        statements = []
        for condition in new_rows:
            params: list = []
            level1 = self._level1(creating=True, params=params)
            statements.append((
                f"INSERT INTO {self.table} ({', '.join(q(f.column) for f in self.fields)}) "
                f"SELECT {', '.join(self._level2())} FROM ("
                f"SELECT {', '.join(level1)} FROM {self.stage} s WHERE {condition}) n1 ORDER BY n1.{q(order)}",
                params,
            ))
        return statements


def run_import(
    *, spec: KindSpec, path: Path, encoding: str | None = None, mapping: dict[str, str] | None = None,
    dry_run: bool = False, skip_invalid: bool = False, blank_clears: bool = False,
    on_error: Callable[[RowError], None] | None = None, progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import one file. Raises ImportAborted when the file cannot be read at all."""
    from django.db import transaction

    from core.models import BusinessSettings, User

    encoding = detect_encoding(path, encoding)
    staged = spec.set_based and connection.vendor == "postgresql"
    batch_size = STAGED_BATCH_SIZE if staged else BATCH_SIZE
    resolved, warnings, blocks = read_rows(path, encoding, spec, mapping, batch_size)
    context = ImportContext(zone=BusinessSettings.load().zone, users={u.username: u for u in User.objects.only("id", "username", "role")})
    sample: list[RowError] = []

    def record(error: RowError) -> None:
        if len(sample) < SAMPLE_ERRORS:
            sample.append(error)
        if on_error:
            on_error(error)

    parse = RowParser(resolved, context)
    try:
        with transaction.atomic():
            if staged:
                importer: Importer = StagedImporter(spec=spec, context=context, blank_clears=blank_clears, on_error=record,
                                                    resolved=resolved,
                                                    write_despite_errors=dry_run or skip_invalid)
            else:
                importer = Importer(spec=spec, context=context, blank_clears=blank_clears, on_error=record)
            try:
                # Millions of short-lived acyclic objects: cyclic collection would only cost time.
                with cyclic_gc_paused():
                    for block in blocks:
                        if importer.flush_block(block, parse):
                            gc.collect(1)  # the young generations only: what a batch's cell errors left behind
                        if progress:
                            progress(importer.result.rows)
                    if importer.result.rows == 0:
                        raise ImportAborted("the file has a header but no data rows", line=2)
                    # With errors and without --skip-invalid everything is rolled back: the merge is only worth
                    # running on a dry run, whose summary counts what would be created and updated.
                    importer.finish(write=dry_run or skip_invalid or not importer.result.errors)
            finally:
                importer.abandon()  # no thread outlives the transaction, whatever was raised
            if dry_run or (importer.result.errors and not skip_invalid):
                raise _RollBack
    except _RollBack:
        pass
    if progress:
        progress(importer.result.rows)
    result = importer.result
    result.error_sample, result.warnings, result.encoding = sample, warnings, encoding
    return result
