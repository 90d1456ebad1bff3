"""PostgreSQL settings for a few statements only, put back after them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def settings_for_block(cursor, **values: str) -> Iterator[None]:
    """PostgreSQL: `values` (setting → value) for the statements run on `cursor` inside the block only; the
    surrounding transaction goes on with its own settings after it (set_config, transaction-local: call it inside a
    transaction). Fetch the rows inside: the settings are put back on the same cursor. Other databases: nothing."""
    if connection.vendor != "postgresql":
        yield
        return
    names = list(values)
    cursor.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(names)), names)
    before = cursor.fetchone()
    cursor.execute("SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(names)),
                   [x for name in names for x in (name, values[name])])
    yield
    cursor.execute("SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(names)),
                   [x for name, value in zip(names, before) for x in (name, value)])
