"""The staged importer's fast path: a block's column of cells to staged text in one go, or None when a cell is
not clean (the block then goes row by row, which words the errors).

Every value is the one the row-by-row parser (rows.py) gives; the vectorised checks only accept cells whose
meaning is plain (ASCII, canonical form) and check the field's range and length with min()/max() over the
column; every other column goes to `memo_converter`, which runs the column's own parser — with all its field
validators — once per distinct cell. Staged text is COPY's text format, cast back to the field's type by the
merge (merge.py).
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection

from .cells import CellError, unescape_text
from .rows import _column_parser, limits_of
from .specs import ACCOUNT, BOOL, DATE, DATETIME, DECIMAL, INT, LIST, TEXT, USER, Column, ImportContext

Converter = Callable[[Sequence[str]], "list | None"]

_ASCII_INTEGERS = re.compile(r"[+-]?[0-9]+(?:\x00[+-]?[0-9]+)*")
_ASCII_ISO_DATES = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:\x00[0-9]{4}-[0-9]{2}-[0-9]{2})*")
# Offsets up to ±14:59 (PostgreSQL refuses beyond ±15:59; rarer offsets go through the parser and UTC).
_TIMESTAMP = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?[+-](?:0[0-9]|1[0-4]):[0-5][0-9]"
_ASCII_ISO_TIMESTAMPS = re.compile(f"{_TIMESTAMP}(?:\x00{_TIMESTAMP})*")
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_NULL = {None: "\\N"}


def copy_cell(value: str | None) -> str:
    """One cell in COPY's text format (NULL as \\N)."""
    if value is None:
        return "\\N"
    if _COPY_SPECIAL.search(value):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def copy_column(values: list[str | None]) -> list[str] | Sequence[str]:
    """A staged column in COPY's text format, cell by cell only when a cell needs escaping."""
    if _COPY_SPECIAL.search("".join(filter(None, values))):
        return list(map(copy_cell, values))
    return list(map(_NULL.get, values, values)) if None in values else values


def stage_text(column: Column, context: ImportContext) -> Callable[[Any], str]:
    """A parsed value as text for the staging table (cast back to the column's type by the merge)."""
    kind = column.kind
    if kind == USER:
        users = context.users
        return lambda v: str(users[v].id)
    if kind == ACCOUNT:
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


class AccountCache:
    """external_id -> id of the accounts a file references: all of them up front when there are at most LIMIT,
    else those of the blocks read so far (emptied when it would pass LIMIT). `texts` holds the ids as staged text."""

    LIMIT = 500_000

    def __init__(self, context: ImportContext):
        self.context = context
        self.ids: dict[str, int] = {}
        self.texts: dict[str, str] = {}
        self.preloaded = False

    def preload(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'accounts_account'::regclass")
            estimate = cursor.fetchone()[0]
            if estimate <= self.LIMIT and (
                estimate >= 0 or cursor.execute("SELECT count(*) FROM accounts_account").fetchone()[0] <= self.LIMIT
            ):
                cursor.execute("SELECT external_id, id FROM accounts_account")
                self.ids = dict(cursor.fetchall())
                self.preloaded = True
        self.context.accounts = self.ids

    def resolve(self, refs: set[str]) -> None:
        """context.accounts: every account of refs that exists (and those cached before)."""
        if self.preloaded:
            return  # every account is in the cache: an unknown reference is unknown
        cache = self.ids
        missing = [ref for ref in refs if ref not in cache]
        if missing:
            if len(cache) + len(missing) > self.LIMIT:
                cache.clear()
                missing = list(refs)
            with connection.cursor() as cursor:
                cursor.execute("SELECT external_id, id FROM accounts_account WHERE external_id = ANY(%s)", [missing])
                cache.update(cursor.fetchall())
        self.context.accounts = cache

    def staged_ids(self, values: list[str]) -> list[str] | None:
        """Each external id's account id as staged text; None when one is unknown."""
        texts = self.texts
        ids = list(map(texts.get, values))
        if None not in ids:
            return ids
        missing = set(values).difference(texts)
        self.resolve(missing)
        accounts = self.context.accounts
        if self.preloaded:  # every account is known: turn them all into text once
            missing = () if texts else accounts.keys()
        elif len(texts) + len(missing) > self.LIMIT:
            texts.clear()
            missing = set(values)
        texts.update((ref, str(accounts[ref])) for ref in missing if ref in accounts)
        ids = list(map(texts.get, values))
        return None if None in ids else ids


def column_converter(column: Column, context: ImportContext, accounts: AccountCache) -> Converter:
    """cells -> staged text (None: empty cell) for a block's column, or None when a cell is not clean."""
    memo = memo_converter(column, context, accounts)
    if limits_of(column).others:
        return memo  # validators the vectorised checks do not know: once per distinct cell
    if column.kind == TEXT:
        return _text_converter(column, memo)
    if column.kind == INT:
        return _integer_converter(column, memo)
    if column.kind in (DATE, DATETIME):
        return _temporal_converter(column, memo)
    if column.kind == ACCOUNT:
        return _account_converter(memo, accounts)
    return memo


def memo_converter(column: Column, context: ImportContext, accounts: AccountCache) -> Converter:
    """The column's own parser, run once per distinct cell of the block."""
    parse, text, required = _column_parser(column, context), stage_text(column, context), column.required
    account = column.kind == ACCOUNT

    def convert(cells: Sequence[str]) -> list | None:
        distinct = set(cells)
        if account:
            accounts.resolve({unescape_text(c.strip()) for c in distinct if c and not c.isspace()})
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


def _text_converter(column: Column, memo: Converter) -> Converter:
    required, max_length = column.required, limits_of(column).max_length

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


def _integer_converter(column: Column, memo: Converter) -> Converter:
    limits = limits_of(column)
    low, high = limits.low, limits.high

    def integer(cells: Sequence[str]) -> list | None:
        values = list(map(str.strip, cells))
        if "" in values or not _ASCII_INTEGERS.fullmatch("\x00".join(values)):
            return memo(cells)  # empty cells, separators, full-width digits, or not numbers at all
        numbers = list(map(int, values))
        if (low is not None and min(numbers) < low) or (high is not None and max(numbers) > high):
            return None
        return list(map(str, numbers))

    return integer


def _temporal_converter(column: Column, memo: Converter) -> Converter:
    """ISO 8601 with an offset (timestamps), hours, minutes and seconds in range: PostgreSQL reads the text as
    Python does once the calendar date is known to exist (checked once per distinct date)."""
    pattern = _ASCII_ISO_DATES if column.kind == DATE else _ASCII_ISO_TIMESTAMPS
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


def _account_converter(memo: Converter, accounts: AccountCache) -> Converter:
    def account(cells: Sequence[str]) -> list | None:
        values = list(map(str.strip, cells))
        if "" in values or "'" in "".join(values):
            return memo(cells)
        return accounts.staged_ids(values)

    return account
