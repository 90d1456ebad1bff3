"""The staged importer (PostgreSQL): valid rows go by COPY into a temporary staging table and are merged set-wise.

Validation is the model-object path's (orm.py) or, for a clean block, its column-by-column twin (columnwise.py);
the merge statements are merge.py's. A worker thread runs each chunk's merge on the import's connection while
the importing thread parses the next chunk; the chunk's COPY runs before it on the same connection, or ahead of it
on a second one (sidestage.py) when the import's transaction is its own.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, NamedTuple

from django.db import connection

from core.bulk import analyze_if_stale

from .columnwise import AccountCache, column_converter, copy_cell, copy_column, stage_text
from .merge import TRY_NEW_ROWS, StagedMerge
from .orm import Importer, _RollBack
from .reading import Block
from .rows import ParsedRow, RowParser
from .sidestage import SideStage, stage_columns
from .specs import ACCOUNT, Column


class Chunk(NamedTuple):
    """Staged lines as one COPY text, with how many there are and how many of them give a key and a natural key
    (the merge skips the statements that would find no row to act on)."""

    text: str
    rows: int
    keyed: int
    natural: int


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
    never overlap. A worker thread runs each chunk's merge on the same connection and transaction while this
    thread parses the next chunk: the database and Python work at the same time. With `side_staging` (the
    import's transaction is the outermost one) the chunks are staged on a second connection, each COPY while the
    previous chunk is merged (sidestage.py; `release` drops their tables once the transaction has ended); else
    into one temporary table on the import's connection, before each merge.
    """

    STAGE = "import_stage"
    BLOCK_ROWS = 10_000
    # Rows merged at a time: the first chunk one block, so the database starts as soon as a block is read, then
    # doubling up to CHUNK_ROWS. Each chunk goes into the table's indexes in account order, one sweep over them per
    # chunk: on a table larger than shared_buffers, fewer and larger sweeps are what keeps a big file near the
    # speed of a small one.
    FIRST_CHUNK_ROWS = BLOCK_ROWS
    CHUNK_ROWS = 200_000

    def __init__(self, *, resolved: dict[int, Column], write_despite_errors: bool, side_staging: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        index_of = {c.name: i for i, c in resolved.items()}
        self.present = [c for c in self.spec.columns if c.name in index_of]
        self.write_despite_errors = write_despite_errors  # dry run or --skip-invalid: errors do not stop writing
        self.pending: list[str] = []  # COPY text lines of the next chunk
        self.pending_keyed = self.pending_natural = 0  # how many of them give a key, a natural key
        self.chunk_rows = min(self.FIRST_CHUNK_ROWS, self.CHUNK_ROWS)
        self.width = max(index_of.values()) + 1  # records shorter than this take the row-by-row path
        self.accounts = AccountCache(self.context)
        # Column-wise conversion of a block (the fast path): (column, its cell index, converter), staging order.
        self.converters = [(c, index_of[c.name], column_converter(c, self.context, self.accounts)) for c in self.present]
        self.plan = [(c.name, stage_text(c, self.context)) for c in self.present]
        defaults = self.spec.create_defaults(self.context) if self.spec.create_defaults else {}
        self.order_key = self._order_key()
        self.merge = StagedMerge(spec=self.spec, present=self.present, stage=self.STAGE, blank_clears=self.blank_clears,
                                 zone=str(self.context.zone), defaults=defaults)
        self.side = SideStage(stage_columns(self.spec.model, self.present)) if side_staging else None
        try:
            self._create_stage()
            if any(c.kind == ACCOUNT for c in self.present):
                self.accounts.preload()
        except BaseException:
            self.release()
            raise
        self.worker = _ChunkWorker(connection.connection, self.merge, self.side)

    def resolve_accounts(self, refs: set[str]) -> None:
        self.accounts.resolve(refs)

    def _order_key(self) -> Callable[[str], Any]:
        """A staged line's place in its chunk: its account id, else its key (cell 0 of a line is the natural key)."""
        kinds = [c.kind for c in self.present]
        position = 1 + (kinds.index(ACCOUNT) if ACCOUNT in kinds else [c.name for c in self.present].index(self.spec.key))
        if ACCOUNT in kinds:
            return lambda line: int(line.split("\t", position + 1)[position])
        return lambda line: line.split("\t", position + 1)[position]

    # -- staging

    def _create_stage(self) -> None:
        columns = ", ".join(f"c{i} text" for i in range(len(self.present)))
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_my_temp_schema()::int = 0")
            if cursor.fetchone()[0]:
                # Before the session's first temporary table only: room for the staging table in memory.
                cursor.execute("SET temp_buffers = '64MB'")
            cursor.execute(f"DROP TABLE IF EXISTS {self.STAGE}")
            if self.side is None:
                cursor.execute(f"CREATE TEMPORARY TABLE {self.STAGE} (nk text, {columns})")
            cursor.execute(TRY_NEW_ROWS)
            analyze_if_stale(self.spec.model._meta.db_table)
            # Foreign keys are checked after each merge statement (in the worker, while parsing goes on) rather
            # than all at commit; restored in finish().
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

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
        columns = [copy_column(staged[c.name]) for c in self.present]
        natural: Sequence[str] = itertools.repeat("\\N")
        naturals = 0  # rows staged with a natural key
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
                    naturals += 1
                keep.append(i)
            if len(keep) < len(rows):
                columns = [[column[i] for i in keep] for column in columns]
            if not keep:
                return True
        keyed = 0 if keys is None else len(keys) - keys.count(None)  # rows dropped above have no key
        self._stage(list(map("\t".join, zip(natural, *columns))), keyed=keyed, natural=naturals)
        return True

    def _stage(self, lines: list[str], *, keyed: int, natural: int) -> None:
        self.pending += lines
        self.pending_keyed += keyed
        self.pending_natural += natural
        if len(self.pending) >= self.chunk_rows:
            self.worker.submit(self._chunk())
            self.chunk_rows = min(2 * self.chunk_rows, self.CHUNK_ROWS)

    def _chunk(self) -> Chunk:
        """The pending lines as one COPY text, in the order the merge inserts them (merge.py: by account, else by
        key): sorted here, where there is time to spare while the database merges the previous chunk."""
        lines, self.pending = self.pending, []
        keyed, natural, self.pending_keyed, self.pending_natural = self.pending_keyed, self.pending_natural, 0, 0
        lines.sort(key=self.order_key)
        return Chunk("\n".join(lines) + "\n", len(lines), keyed, natural)

    def _write(self, rows: list[ParsedRow]) -> None:
        if self.result.errors and not self.write_despite_errors:
            return  # everything will be rolled back: validating the rest is all that is left to do
        spec, context, plan = self.spec, self.context, self.plan
        natural, key, seen = spec.natural_key, spec.key, self.seen_keys
        lines = []
        keyed = naturals = 0
        for row in rows:
            values = row.values
            nk = None
            if values.get(key) is not None:
                keyed += 1
            elif natural:
                nk = natural(values, context)
                if nk in seen:
                    self.result.unchanged += 1  # the same touch again in this file
                    continue
                seen.add(nk)
                naturals += 1
            lines.append("\t".join(map(copy_cell, [nk] + [None if (v := values.get(name)) is None else text(v)
                                                           for name, text in plan])))
        if lines:
            self._stage(lines, keyed=keyed, natural=naturals)

    def finish(self, *, write: bool) -> None:
        try:
            if write and self.pending:
                self.worker.submit(self._chunk())
            self.pending = []
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

    def release(self) -> None:
        if self.side is not None:
            self.side.release()


class _ChunkWorker:
    """Runs the merge of each submitted chunk in a thread, one chunk at a time, on the import's connection: after
    its COPY on that connection, or once the side connection has staged it (its COPY started at submission).

    psycopg connections are thread-safe (statements are serialised by the connection's lock), and this thread
    only waits for the queue while the worker runs: at most two chunks are in memory at once.
    """

    def __init__(self, raw_connection, merge: StagedMerge, side: SideStage | None):
        self.connection, self.merge, self.side = raw_connection, merge, side
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.staged = self.updated = self.created = 0
        self.thread = threading.Thread(target=self._run, name="import-merge", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self._merge(*item)
                except BaseException as exc:  # noqa: BLE001 - handed to the importing thread
                    self.error = exc

    def _merge(self, chunk: Chunk, staged: Future | None) -> None:
        """Merge a chunk: from its own table, staged on the side connection, or COPYed here first."""
        with self.connection.cursor() as cursor:
            if staged is not None:
                stage = staged.result()
            else:
                stage = self.merge.stage
                cursor.execute(f"TRUNCATE {stage}")
                with cursor.copy(f"COPY {stage} FROM STDIN") as copy:
                    copy.write(chunk.text)
            updated, created = self.merge.run(cursor, stage=stage, keyed=chunk.keyed, natural=chunk.natural)
        self.staged += chunk.rows
        self.updated += updated
        self.created += created

    def submit(self, chunk: Chunk) -> None:
        if self.error is not None:
            raise self.error
        if self.side is None:
            self.queue.put((chunk, None))
        else:  # its COPY starts now; the merge waits for it
            self.queue.put((chunk._replace(text=""), self.side.submit(chunk.text)))

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
        if self.side is not None:
            self.side.stop()
