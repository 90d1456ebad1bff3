"""Staging on a second connection (PostgreSQL): each chunk's COPY runs while the previous chunk is merged.

The staged importer (staged.py) merges each chunk on the import's own connection, in its transaction. When that
transaction is the outermost one (the import's own, not a caller's), the chunks are not staged on that
connection: a second connection COPYs each into an UNLOGGED table of its own (`import_stage_<pid>_<n>`, the
second connection's backend pid and the chunk's number), created in the same transaction as the COPY (so
`FREEZE`: its rows need no visibility checks later) and committed, while the import's connection merges the
previous chunk. The cells the database would cast anyway (ids, timestamps, dates) are typed in those tables, so
their text is read by the COPY, off the merge's path. The merges, and so everything the import writes, stay in
the import's transaction: a failed import writes nothing.

The tables are dropped once the import's transaction has ended, committed or rolled back (`release`): the merges
hold them until then. Tables of a process that died before dropping them (their pid no longer a backend's) are
dropped by the next import that stages this way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import DEFAULT_DB_ALIAS, connection, connections

from .specs import ACCOUNT, DATE, DATETIME, USER, Column

logger = logging.getLogger(__name__)

# Kinds whose staged text the database reads as the model field's own type (the merge's cast is then a no-op):
# ids, and timestamps and dates whose text always says its offset or is an ISO date (columnwise.py, stage_text).
TYPED_KINDS = (ACCOUNT, USER, DATETIME, DATE)
PREFIX = "import_stage_"

# Stage tables left by a process that died: named after a backend that no longer exists.
ORPHANS = rf"""
SELECT quote_ident(c.relname) FROM pg_class c
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
  AND c.relname ~ '^{PREFIX}[0-9]+_[0-9]+$'
  AND split_part(substr(c.relname, {len(PREFIX) + 1}), '_', 1)::int NOT IN (SELECT pid FROM pg_stat_activity)
"""


def stage_columns(spec_model, present: Sequence[Column]) -> str:
    """The staging table's columns: the natural key, then one per present column (typed where TYPED_KINDS)."""
    meta = spec_model._meta
    types = [meta.get_field(c.field).db_type(connection) if c.kind in TYPED_KINDS else "text" for c in present]
    return ", ".join(["nk text"] + [f"c{i} {t}" for i, t in enumerate(types)])


class SideStage:
    """Stages chunks on a second connection, one chunk at a time in a thread of its own, in submission order."""

    def __init__(self, columns: str):
        self.columns = columns
        self.tables: list[str] = []  # created or about to be (written by the copying thread)
        self.chunks = 0
        self.side = connections.create_connection(DEFAULT_DB_ALIAS)
        self.copier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-stage")
        self.connected = self.copier.submit(self._connect)  # while the importing thread reads the first chunk

    def _connect(self) -> None:
        self.side.ensure_connection()
        self.raw = self.side.connection  # psycopg, autocommit
        self.pid = self.raw.info.backend_pid
        try:
            with self.raw.cursor() as cursor:
                cursor.execute("SET lock_timeout = '1s'")
                orphans = [name for (name,) in cursor.execute(ORPHANS).fetchall()]
                if orphans:
                    cursor.execute(f"DROP TABLE IF EXISTS {', '.join(orphans)}")
                cursor.execute("RESET lock_timeout")
        except Exception:  # noqa: BLE001 - best effort: the next import tries again
            logger.warning("could not drop stage tables left by an earlier import", exc_info=True)

    def submit(self, text: str) -> Future:
        """Stage a chunk's COPY text; the future's result is its table's name."""
        self.chunks += 1
        return self.copier.submit(self._copy, self.chunks - 1, text)

    def _copy(self, number: int, text: str) -> str:
        self.connected.result()  # done before (same thread, submitted first); raises what connecting raised
        table = f"{PREFIX}{self.pid}_{number}"
        self.tables.append(table)
        with self.raw.transaction(), self.raw.cursor() as cursor:
            cursor.execute(f"CREATE UNLOGGED TABLE {table} ({self.columns})")
            with cursor.copy(f"COPY {table} FROM STDIN (FREEZE)") as copy:
                copy.write(text)
        return table

    def stop(self) -> None:
        """Wait for the COPY under way (if any) and start no other."""
        self.copier.shutdown(wait=True, cancel_futures=True)

    def release(self) -> None:
        """Drop the tables and close the connection; call once the import's transaction has ended."""
        self.stop()
        try:
            if self.tables:
                with self.raw.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '10s'")
                    cursor.execute(f"DROP TABLE IF EXISTS {', '.join(self.tables)}")
        except Exception:  # noqa: BLE001 - the next import drops them (their pid is gone once this one closes)
            logger.warning("could not drop the import's stage tables", exc_info=True)
        finally:
            self.side.close()
