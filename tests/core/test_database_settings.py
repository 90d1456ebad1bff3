"""PostgreSQL sessions of the app run without JIT compilation (settings.DATABASES): compiling cost the ICP
validation a third of its time at a million accounts and gains the short statements of pages and chunks nothing."""

from django.db import connection


def test_postgresql_sessions_run_without_jit(require_postgres):
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
