"""Set-based writes: one `UPDATE … FROM unnest(arrays)` per batch, inserts by COPY, on PostgreSQL.

Django's bulk_update builds a CASE per field and row, which costs more in Python than the update costs in the
database (measured: 23× raw SQL; docs/benchmarks.md); the nightly pipeline updates thousands of rows per chunk.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
from collections.abc import Iterator, Sequence

from django.db import connection, models


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a bulk step that makes many short-lived, acyclic objects (rows as
    tuples), back as it was afterwards; reference counting still frees them.

    Each collection of the oldest generation scans every live object — in a worker, all of Django's too — and a
    chunk's allocations set one off again and again: it took 40% of a nightly chunk's Python time (0.45 s against
    0.26 s for six chunks replayed, python -m bench's data). Nothing a step makes here lives in a cycle that
    would need collecting before the step ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def array_literal(values: Sequence) -> str:
    """`values` as one PostgreSQL array literal ('{1,NULL,"a \\"b\\""}'), to pass as a single text parameter cast to
    the array's type (`%s::date[]`).

    A driver adapts a list element by element (a call, a type check and a quoting test each): for the nightly
    statements' arrays of thousands of ids, dates and codes that cost more than the statements. Here an element is
    `NULL`, a number, true/false, an ISO date or time, or text in double quotes with backslashes and double quotes
    escaped — the array input syntax of PostgreSQL's documentation (8.15.6); JSON goes as its text.
    """
    # Whole columns of one plain type are joined at C speed; anything else element by element.
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds <= {int} or kinds <= {dt.date}:  # str() of these never holds "None"
        return "{" + ",".join(map(str, values)).replace("None", "NULL") + "}"
    # Text, and text choices (str subclasses, which str.join reads as their values).
    if kinds and all(issubclass(kind, str) for kind in kinds) and None not in values:
        text = "".join(values)  # the values alone: the quotes between them are not theirs
        if '"' not in text and "\\" not in text:
            return '{"' + '","'.join(values) + '"}'
    return "{" + ",".join(map(_array_element, values)) + "}"


def _array_element(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def date_sql() -> str:
    """The placeholder of a date parameter compared with date columns: typed on PostgreSQL, plain on SQLite (which
    stores dates as ISO text)."""
    return "CAST(%s AS date)" if connection.vendor == "postgresql" else "%s"


def date_param(day: dt.date | None):
    """A date as a parameter for `date_sql()` (or any hand-written statement): as is on PostgreSQL, ISO text on
    SQLite."""
    if day is None or connection.vendor == "postgresql":
        return day
    return day.isoformat()


def bulk_update_values(model: type[models.Model], objs: Sequence[models.Model], fields: Sequence[str], *, batch_size: int = 5000) -> int:
    if not objs:
        return 0
    attnames = [model._meta.get_field(f).attname for f in fields]
    return bulk_update_rows(model, [(obj.pk, *(getattr(obj, a) for a in attnames)) for obj in objs], fields,
                            batch_size=batch_size)


def bulk_update_rows(model: type[models.Model], rows: Sequence[Sequence], fields: Sequence[str], *, batch_size: int = 5000) -> int:
    """bulk_update_values from plain tuples ``(pk, value of fields[0], value of fields[1], …)`` (values as the
    fields' attributes hold them: ids for foreign keys, Python lists for JSON): no model instance is built
    (building thousands of them only to read their values back cost more than the UPDATE)."""
    if not rows:
        return 0
    meta = model._meta
    columns = [meta.get_field(f) for f in fields]
    if connection.vendor != "postgresql":
        return _update_rows_sqlite(model, columns, rows, batch_size=batch_size)
    pk = meta.pk
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    # One array per column, unnested server-side: a handful of parameters whatever the number of rows (a VALUES
    # list of thousands of placeholders cost more to build and split client-side than the UPDATE itself), and an
    # unnest is estimated small, so each row is found through the primary key.
    arrays = ", ".join(
        f"%s::text[]::{c.db_type(connection)}[]" if isinstance(c, models.JSONField) else f"%s::{c.db_type(connection)}[]"
        for c in [pk, *columns]
    )
    names = ", ".join(qn(c.column) for c in [pk, *columns])
    sets = ", ".join(f"{qn(c.column)} = v.{qn(c.column)}" for c in columns)
    json_positions = {i + 1 for i, c in enumerate(columns) if isinstance(c, models.JSONField)}
    sql = f"UPDATE {table} AS t SET {sets} FROM unnest({arrays}) AS v({names}) WHERE t.{qn(pk.column)} = v.{qn(pk.column)}"
    total = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start:start + batch_size]
            params = []
            for i, values in enumerate(zip(*batch)):
                if i in json_positions:
                    values = tuple(None if v is None else json.dumps(v) for v in values)
                params.append(array_literal(values))
            cursor.execute(sql, params)
            total += cursor.rowcount
    return total


def bulk_insert_copy(model: type[models.Model], objs: Sequence[models.Model], *, batch_size: int = 2000) -> int:
    """Insert new rows with COPY on PostgreSQL (no ids come back); bulk_create elsewhere."""
    if not objs:
        return 0
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=batch_size)
        return len(objs)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    # As an INSERT would: auto_now_add stamps, the rest as set.
    return _copy_rows(model, fields, ([f.pre_save(obj, True) for f in fields] for obj in objs))


def bulk_insert_rows(model: type[models.Model], attnames: Sequence[str], rows: Sequence[Sequence], *,
                     batch_size: int = 2000) -> int:
    """bulk_insert_copy from plain tuples of the `attnames` columns (ids for foreign keys, Python lists for JSON):
    no model instance is built on PostgreSQL. Columns not named are NULL, so every column without NULL must be."""
    if not rows:
        return 0
    if connection.vendor != "postgresql":
        return _insert_rows_sqlite(model, attnames, rows, batch_size=batch_size)
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    return _copy_rows(model, [by_attname[a] for a in attnames], rows)


# SQLite: plain parameter rows through one executemany each. Django's bulk_create and bulk_update compile every value
# of every row (a CASE per value for an update), which was most of a night's time on SQLite.

# Columns whose Python values SQLite takes as they are (numbers, text, booleans, ids): not prepared one by one.
SQLITE_PLAIN = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
                "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField", "CharField",
                "TextField", "BooleanField"}


def _sqlite_prep(field: models.Field):
    """How a value of `field` goes to SQLite: None when as it is, else the field's own preparation."""
    target = field.target_field if field.is_relation else field
    if target.get_internal_type() in SQLITE_PLAIN:
        return None
    if target.get_internal_type() == "DateField":  # as DateField prepares a date or its ISO text: the ISO text
        return lambda value: None if value is None else str(value)
    return lambda value: field.get_db_prep_save(value, connection)


def _sqlite_row(preps, values) -> list:
    return [value if prep is None else prep(value) for prep, value in zip(preps, values)]


def _update_rows_sqlite(model: type[models.Model], columns: Sequence[models.Field], rows: Sequence[Sequence], *,
                        batch_size: int) -> int:
    qn, pk = connection.ops.quote_name, model._meta.pk
    sets = ", ".join(f"{qn(c.column)} = %s" for c in columns)
    sql = f"UPDATE {qn(model._meta.db_table)} SET {sets} WHERE {qn(pk.column)} = %s"
    preps = [_sqlite_prep(c) for c in [*columns, pk]]
    total = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            cursor.executemany(sql, [_sqlite_row(preps, (*row[1:], row[0])) for row in rows[start:start + batch_size]])
            total += cursor.rowcount
    return total


def _insert_rows_sqlite(model: type[models.Model], attnames: Sequence[str], rows: Sequence[Sequence], *,
                        batch_size: int) -> int:
    """As bulk_create would insert them: the columns not named take their field's default (auto_now_add: now). A
    default computed per row (a callable other than dict or list) or by the database (db_default alone) leaves the
    work to bulk_create."""
    named = set(attnames)
    template = model()
    others = [f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in named]
    per_row = any(f.has_default() and callable(f.default) and f.default not in (dict, list) for f in others)
    constants = [] if per_row else [f.get_db_prep_save(f.pre_save(template, True), connection) for f in others]
    if per_row or any(hasattr(value, "as_sql") for value in constants):  # an expression: DatabaseDefault
        model.objects.bulk_create([model(**dict(zip(attnames, row))) for row in rows], batch_size=batch_size)
        return len(rows)
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_attname[a] for a in attnames]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in [*fields, *others])
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({columns}) "
           f"VALUES ({', '.join(['%s'] * (len(fields) + len(others)))})")
    preps = [_sqlite_prep(f) for f in fields]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            cursor.executemany(sql, [[*_sqlite_row(preps, row), *constants] for row in rows[start:start + batch_size]])
    return len(rows)


def _copy_rows(model: type[models.Model], fields: Sequence[models.Field], rows) -> int:
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    json_positions = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    count = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                if json_positions:
                    row = list(row)
                    for i in json_positions:
                        row[i] = None if row[i] is None else json.dumps(row[i])
                copy.write_row(row)
                count += 1
    return count


# Statistics that claim fewer than half the table's pages (or none at all) are stale enough to mislead the
# planner; the slack keeps small tables from being analysed every time.
STALE_PAGES_SLACK = 128


def analyze_if_stale(*tables: str) -> list[str]:
    """ANALYZE each table whose statistics are missing or far behind its size (PostgreSQL; a no-op elsewhere);
    returns the tables analysed.

    A table emptied and loaded again (a first load, a first nightly run, a restore) has no statistics until
    autovacuum comes by, and the planner then takes it for a few rows: an import's UPDATE compared every staged row
    with every stored one (over ten minutes for 1M touches); the night after a first run scanned every open alert
    for each chunk of accounts. ANALYZE reads a sample: under a second.
    """
    if connection.vendor != "postgresql":
        return []
    analysed = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute("SELECT c.reltuples, c.relpages, pg_relation_size(c.oid) / current_setting('block_size')::int "
                           "FROM pg_class c WHERE c.oid = %s::regclass", [table])
            tuples, pages, actual_pages = cursor.fetchone()
            if tuples < 0 or actual_pages > 2 * pages + STALE_PAGES_SLACK:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
                analysed.append(table)
    return analysed
