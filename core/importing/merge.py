"""The merge SQL of the staged importer: the statements that apply a staging table of text cells to a model's table.

A chunk of the file is staged (COPY) into a temporary table, one text column per CSV column present (NULL for an
empty cell) plus the natural key. One INSERT per way of telling a new row (key, natural key) adds the new rows;
one UPDATE, guarded by IS DISTINCT FROM, changes the rows whose values differ, so a re-import writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from django.db import connection, models
from django.db.models.expressions import DatabaseDefault
from django.db.models.sql import Query

from .orm import _cleared_value
from .specs import LIST, Column, KindSpec


TRY_NEW_ROWS = """
CREATE OR REPLACE FUNCTION pg_temp.import_try_new_rows(statement text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE inserted bigint;
BEGIN
    EXECUTE statement;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    RETURN inserted;
EXCEPTION WHEN unique_violation THEN
    RETURN NULL;  -- a row exists: nothing of the statement is left
END $$"""


def _default(defaults: dict[str, Any], field: models.Field) -> Any:
    """A new row's value for a column the file leaves empty: the spec's default (by field name, or attname for a
    foreign key given as an id), else the model field's."""
    if field.attname in defaults:
        return defaults[field.attname]
    return defaults.get(field.name, field.get_default())


class StagedMerge:
    """The two statements that apply a staging table (text cells, NULL = empty cell) to a model's table."""

    WORK_MEM = "64MB"  # the new rows of a chunk of 200k touches, as a statement trigger sees them: about 30 MB

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
        self.unprobed_sql = self._insert_sql(probed=False)
        # Per INSERT: whether its rows have all been new so far (a first load), so the next chunk may skip the probes.
        self.all_new = [True] * len(self.insert_sql)
        # Each try is a subtransaction. Past 64 in one transaction, PostgreSQL's per-backend cache of them overflows
        # and every other session's snapshot checks slow down until the import commits: stay well below.
        self.tries_left = 48

    def _cast(self, expr: str, field: models.Field, column: Column | None = None) -> str:
        if column is not None and column.kind == LIST:
            return f"to_jsonb(string_to_array({expr}, ';'))"
        return f"({expr})::{field.db_type(connection)}"

    def _param(self, field: models.Field, value: Any, params: list) -> str:
        if isinstance(value, DatabaseDefault):  # the field's db_default: its SQL, as an INSERT would write it
            query, default = Query(self.spec.model), field.db_default
            expression = default if hasattr(default, "resolve_expression") else models.Value(default)
            sql, sql_params = query.get_compiler(connection=connection).compile(expression.resolve_expression(query))
            params.extend(sql_params)
            return self._cast(sql, field)
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
                    fallback = self._param(model_field, _default(defaults, model_field), params)
                else:
                    fallback = f"t0.{self.q(col)}"
                expr = f"COALESCE({new}, {fallback})"
            elif col == "natural_key" and self.spec.natural_key:
                expr = "s.nk" if creating else f"t0.{self.q(col)}"
            elif creating:
                expr = self._param(model_field, _default(defaults, model_field), params)
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

    def run(self, cursor, *, stage: str, keyed: int, natural: int) -> tuple[int, int]:
        """(updated, created) of a chunk staged in table `stage` whose `keyed` rows give a key and `natural` rows a
        natural key (staged.py counts them while staging). The statements are built once (in the importing thread), run once
        per chunk; one that would find no row (no staged row has its key) is not run, nor the UPDATE when every
        keyed row was new.

        A chunk is small next to the table it goes into: index probes per staged row cost what the chunk costs,
        where a hash join would read the whole table once per chunk.
        """
        updated = created = 0
        # jit: compiling costs more than a chunk's statements run. work_mem: room for the new rows the tables'
        # statement triggers see (a transition table spills to disk beyond it).
        cursor.execute(f"SET enable_hashjoin = off; SET enable_mergejoin = off; SET jit = off; SET work_mem = '{self.WORK_MEM}'")
        try:
            # New rows first: when every keyed row of the chunk was new (a first load), there is nothing to update
            # and the UPDATE's probes are saved. Otherwise the UPDATE also meets the rows just inserted, finds them
            # equal (IS DISTINCT FROM) and leaves them alone.
            created_by_key = 0
            for i, rows in enumerate(self._candidates(keyed=keyed, natural=natural)):
                inserted = self._insert(cursor, i, stage) if rows else 0
                created += inserted
                if i == 0 and self.key_stage:  # the first INSERT is the one by key (see _insert_sql)
                    created_by_key = inserted
            if self.update_sql and keyed > created_by_key:
                cursor.execute(self._on(stage, self.update_sql[0]), self.update_sql[1])
                updated = cursor.rowcount
        finally:
            cursor.execute("RESET enable_hashjoin; RESET enable_mergejoin; RESET jit; RESET work_mem")
        return updated, created

    def _candidates(self, *, keyed: int, natural: int) -> list[int]:
        """How many staged rows each INSERT of _insert_sql considers: those with a key, then those with a natural key."""
        return ([keyed] if self.key_stage else []) + ([natural] if self.spec.natural_key else [])

    def _on(self, stage: str, sql: str) -> str:
        """A statement of this merge reading staging table `stage` (they are built reading self.stage)."""
        return sql if stage == self.stage else sql.replace(f" FROM {self.stage} s ", f" FROM {stage} s ")

    def _insert(self, cursor, i: int, stage: str) -> int:
        """Run the i-th INSERT; the rows it added.

        While every row so far was new (a first load), a chunk is first tried without the anti-join: one index
        probe per row saved. The key's unique index refuses a row that exists; the try is then undone and that
        INSERT probes from then on (a re-import loses one statement refused at its first row). The try runs in
        TRY_NEW_ROWS, whose exception block undoes it inside the one statement: the importing thread may use the
        connection between two of this thread's statements, and must never meet an aborted transaction."""
        if self.all_new[i] and self.tries_left > 0:
            self.tries_left -= 1
            cursor.execute("SELECT pg_temp.import_try_new_rows(%s)", [self._on(stage, self._unprobed_text(cursor, i))])
            inserted = cursor.fetchone()[0]
            if inserted is not None:
                return inserted
            self.all_new[i] = False
        cursor.execute(self._on(stage, self.insert_sql[i][0]), self.insert_sql[i][1])
        return cursor.rowcount

    def _unprobed_text(self, cursor, i: int) -> str:
        """The i-th unprobed INSERT with its parameters inlined (EXECUTE takes one text)."""
        sql, params = self.unprobed_sql[i]
        if params is not None:
            self.unprobed_sql[i] = (psycopg.ClientCursor(cursor.connection).mogrify(sql, params), None)
        return self.unprobed_sql[i][0]

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

    def _insert_sql(self, *, probed: bool = True) -> list[tuple[str, list]]:
        """One INSERT per way of telling a new row (key, natural key): each an anti-join, never an OR of two.

        ``OFFSET 0`` keeps each NOT EXISTS a probe of the key's unique index per staged row. Pulled up into a join,
        it was planned from the table's statistics, which a first load into an emptied table does not have yet:
        the planner took the table for one row and compared every staged row with every row of the table, chunk
        after chunk (150k touches took four and a half minutes instead of two seconds).

        Not ``probed``: the same INSERTs without the anti-join, for chunks that hold only new rows (see run).

        Rows go in in the order they were staged, which is the order of the account they belong to (else of their
        key; staged.py sorts each chunk): the foreign key checks and the index entries of one account then hit the
        same pages one after the other, and the database has no sort to do."""
        q = self.q
        new_rows = []
        if self.key_stage:
            new_rows.append((f"{self.key_stage} IS NOT NULL",
                             f"(SELECT 1 FROM {self.table} t0 WHERE t0.{q(self.key_column)} = {self.key_stage} "
                             f"AND t0.{q(self.key_column)} IS NOT NULL OFFSET 0)"))
        if self.spec.natural_key:
            new_rows.append(("s.nk IS NOT NULL",
                             f"(SELECT 1 FROM {self.table} t0 WHERE t0.natural_key = s.nk AND t0.natural_key IS NOT NULL "
                             f"OFFSET 0)"))
        statements = []
        for has_key, probe in new_rows:
            condition = f"{has_key} AND NOT EXISTS {probe}" if probed else has_key
            params: list = []
            level1 = self._level1(creating=True, params=params)
            statements.append((
                f"INSERT INTO {self.table} ({', '.join(q(f.column) for f in self.fields)}) "
                f"SELECT {', '.join(self._level2())} FROM ("
                f"SELECT {', '.join(level1)} FROM {self.stage} s WHERE {condition}) n1",
                params,
            ))
        return statements
