"""One data row to the values of its columns: each column's parser, chosen once per import, and its field's
validators ("line N, column X: message" when one fails)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, MaxLengthValidator, MaxValueValidator, MinValueValidator

from core.validators import validate_corporate_number

from .cells import (
    CellError, normalise, parse_bool, parse_corporate_number, parse_date, parse_datetime, parse_decimal, parse_email,
    parse_int, parse_list, parse_text, unescape_text,
)
from .specs import (
    ACCOUNT, BOOL, CHOICE, CORPORATE_NUMBER, DATE, DATETIME, DECIMAL, EMAIL, INT, LIST, TEXT, TEXT_KINDS, USER,
    Column, ImportContext, RowError,
)

_SIMPLE_PARSERS: dict[str, Callable[[str], Any]] = {
    TEXT: parse_text, INT: parse_int, DECIMAL: parse_decimal, BOOL: parse_bool, DATE: parse_date, LIST: parse_list,
    EMAIL: parse_email, CORPORATE_NUMBER: parse_corporate_number,
    ACCOUNT: lambda raw: unescape_text(raw.strip()),  # resolved per batch
}


def _cell_parser(column: Column, context: ImportContext) -> Callable[[str], Any]:
    """The parse function of one column, chosen once per import rather than once per cell."""
    kind = column.kind
    if kind in _SIMPLE_PARSERS:
        return _SIMPLE_PARSERS[kind]
    if kind == DATETIME:
        zone = context.zone
        return lambda raw: parse_datetime(raw, zone)
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
    raise ValueError(kind)  # pragma: no cover - a spec error


@dataclass(frozen=True)
class Limits:
    """A column's field validators, sorted into those the importer words and checks itself — at C speed on the
    column-by-column path — and the rest, run on each parsed value as the model would (`others`)."""

    low: Any = None
    high: Any = None
    max_length: int | None = None
    others: tuple = ()


def limits_of(column: Column) -> Limits:
    low, high = column.bounds
    lengths = [column.max_length] if column.max_length and column.kind in (*TEXT_KINDS, USER, ACCOUNT) else []
    lengths += [v.limit_value for v in column.validators or () if type(v) is MaxLengthValidator]
    covered = (MinValueValidator, MaxValueValidator, MaxLengthValidator)
    others = tuple(
        v for v in column.validators or ()
        if type(v) not in covered
        # The kind's parser applies these itself, with the cell as written in its message.
        and not (column.kind == EMAIL and type(v) is EmailValidator)
        and not (column.kind == CORPORATE_NUMBER and v is validate_corporate_number)
    )
    if column.kind not in (INT, DECIMAL):
        low = high = None
    return Limits(low, high, min(lengths) if lengths else None, others)


def run_validators(validators: tuple, value: Any) -> None:
    """The model field's own validators on a parsed value; their messages, joined, as the cell's error."""
    for validator in validators:
        try:
            validator(value)
        except ValidationError as exc:
            raise CellError(" ".join(exc.messages)) from exc


def _column_parser(column: Column, context: ImportContext) -> Callable[[str], Any]:
    """_cell_parser plus the column's field validators: range, length, then any other."""
    parse, limits = _cell_parser(column, context), limits_of(column)
    low, high, max_length, others = limits.low, limits.high, limits.max_length, limits.others
    if low is None and high is None and not max_length and not others:
        return parse

    def parse_valid(raw: str) -> Any:
        value = parse(raw)
        if low is not None and value < low:
            raise CellError(f"'{raw}' is below {low}")
        if high is not None and value > high:
            raise CellError(f"'{raw}' is above {high}")
        if max_length and len(value) > max_length:
            raise CellError(f"longer than {max_length} characters")
        if others:
            run_validators(others, value)
        return value

    return parse_valid


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
