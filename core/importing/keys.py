"""The keys a file has given so far, for the rule "a key given twice in one file is an error on the later row"
(docs/api.md §2) and for telling a touch seen again in the same file.

A set would hold every key of the file: a 4M-row file made a worker grow by hundreds of MB. KeySet keeps the
latest SPILL_AFTER keys in memory and moves them, sorted, into a private temporary SQLite file when there are
more, so memory stays flat whatever the file's length; small files never leave memory. It answers what the
importers ask of a set: `in`, `add`, `update`, `isdisjoint`.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable

# Keys held in memory before they move to disk: about 200 MB of short strings, so a file of up to two million
# rows never touches the disk. Moving keys costs more than it looks: sorting them, a B-tree insert each and a
# lookup of every later key in the file. With 500,000 it took a third of a 2M-row import's Python time (26 s
# against 18 s of CPU, docs/benchmarks.md), and Python is what that import waits for. Past it memory stays flat
# (a 4M-row file holds at most this many keys in memory) and each later key costs a few microseconds more.
SPILL_AFTER = 2_100_000
# Parameters per lookup statement (SQLite's historical limit is 999).
LOOKUP_BATCH = 900


class KeySet:
    def __init__(self) -> None:
        self.recent: set[str] = set()
        self.disk: sqlite3.Connection | None = None

    def __contains__(self, key: str) -> bool:
        if key in self.recent:
            return True
        return self.disk is not None and self.disk.execute("SELECT 1 FROM k WHERE v = ?", (key,)).fetchone() is not None

    def add(self, key: str) -> None:
        self.recent.add(key)
        if len(self.recent) >= SPILL_AFTER:
            self._spill()

    def update(self, keys: Iterable[str]) -> None:
        self.recent.update(keys)
        if len(self.recent) >= SPILL_AFTER:
            self._spill()

    def isdisjoint(self, keys: Iterable[str]) -> bool:
        keys = list(keys)
        if not self.recent.isdisjoint(keys):
            return False
        if self.disk is None:
            return True
        for start in range(0, len(keys), LOOKUP_BATCH):
            batch = keys[start:start + LOOKUP_BATCH]
            marks = ",".join("?" * len(batch))
            if self.disk.execute(f"SELECT 1 FROM k WHERE v IN ({marks}) LIMIT 1", batch).fetchone() is not None:
                return False
        return True

    def close(self) -> None:
        if self.disk is not None:
            self.disk.close()  # the temporary file goes with it
            self.disk = None
        self.recent = set()

    def _spill(self) -> None:
        if self.disk is None:
            # "": a private temporary database on disk, deleted when closed; a small page cache.
            self.disk = sqlite3.connect("", check_same_thread=False)
            self.disk.execute("PRAGMA cache_size = -8192")  # 8 MB
            self.disk.execute("PRAGMA journal_mode = OFF")
            self.disk.execute("PRAGMA synchronous = OFF")
            self.disk.execute("CREATE TABLE k (v TEXT PRIMARY KEY) WITHOUT ROWID")
        keys = sorted(self.recent)  # in key order: the B-tree is appended to, not split at random
        self.recent = set()
        rows = iter(keys)
        while batch := list(itertools.islice(rows, 50_000)):
            self.disk.executemany("INSERT OR IGNORE INTO k VALUES (?)", ((key,) for key in batch))
        self.disk.commit()
