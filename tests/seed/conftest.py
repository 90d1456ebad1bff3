"""One demo organisation with its default history, seeded once for the tests that read it (the nights cost time),
inside a transaction of this module that is rolled back at its end; each test runs in a savepoint of its own."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import transaction

# Large enough for the outcomes to hold at least MIN_SAMPLE accounts a side where the tests read them.
DEMO_ACCOUNTS = 800
DEMO_SEED = 2026


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> str:
    """`seed_demo` as `make demo` runs it (default history), its summary line."""
    out = io.StringIO()
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--accounts", str(DEMO_ACCOUNTS), "--seed", str(DEMO_SEED), stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)
