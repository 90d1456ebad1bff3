"""The model-object path: each block of rows validated row by row, then written with bulk_create / bulk_update.

Every batch costs a fixed number of queries (existing rows by key, referenced accounts), never one per row.
SQLite takes this path for every kind, PostgreSQL for users (passwords are set through the model); the staged
importer (staged.py) shares its validation and replaces its writing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

from accounts.models import Account

from .keys import KeySet
from .reading import Block
from .rows import ParsedRow, RowParser
from .specs import ACCOUNT, USER, Column, ImportContext, ImportResult, KindSpec, RowError

BATCH_SIZE = 2000


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
    """The model attribute and value an empty cell sets under --blank-clears (Column.empty: from the field)."""
    if column.kind in (USER, ACCOUNT):
        return f"{column.field}_id", None
    return column.field, column.empty


def _by_field(model: type[models.Model], field_name: str, values: list) -> dict:
    """Existing rows by a key column in one query (also for keys unique only through a partial constraint)."""
    if not values:
        return {}
    return {getattr(obj, field_name): obj for obj in model.objects.filter(**{f"{field_name}__in": values})}


class Importer:
    """Validates each block row by row and writes it through the model (bulk_create / bulk_update)."""

    BLOCK_ROWS = BATCH_SIZE  # records read and validated at a time

    def __init__(self, *, spec: KindSpec, context: ImportContext, blank_clears: bool, on_error: Callable[[RowError], None]):
        self.spec = spec
        self.context = context
        self.blank_clears = blank_clears
        self.on_error = on_error
        self.result = ImportResult()
        self.seen_keys = KeySet()  # a set's answers, flat memory however long the file
        self.columns = spec.by_name()
        self.account_columns = [c.name for c in spec.columns if c.kind == ACCOUNT]

    def resolve_accounts(self, refs: set[str]) -> None:
        """context.accounts: external_id -> id of the accounts this batch references, in one query."""
        self.context.accounts = dict(Account.objects.filter(external_id__in=refs).values_list("external_id", "id"))

    def finish(self, *, write: bool) -> None:
        """Called once after the last batch (the staged importer merges here)."""

    def abandon(self) -> None:
        """Called when the import ends, also on failure (the staged importer stops its worker)."""
        self.seen_keys.close()

    def release(self) -> None:
        """Called once the import's transaction has ended, also on failure (the staged importer drops the tables
        it staged on a second connection)."""

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
            if key is not None:
                # A key is taken by the first row that gives it, valid or not: a later row with the same key is
                # an error (docs/api.md §2), never written in place of the earlier one.
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
