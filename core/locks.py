"""A lock that one process holds at a time, across workers and machines sharing the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def held_alone(name: str) -> Iterator[None]:
    """Hold the lock called `name` for the block; others wait for it. PostgreSQL: a session advisory lock, so it may
    span several transactions and a process that dies releases it with its connection. SQLite lets one writer in at
    a time by itself (and runs no workers here): nothing to take."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [name])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [name])
