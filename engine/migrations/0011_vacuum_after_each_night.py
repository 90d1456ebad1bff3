"""Autovacuum the tables a night rewrites after a small share of their rows changed (PostgreSQL).

A night updates a few per cent of the evaluations, coverage rows and alerts. At the default threshold (a fifth of
the rows dead) autovacuum would come by every week or so, and meanwhile each night reads what the last one left:
the next run's look for due accounts scans evaluations rewritten the night before, whose row versions have yet to
be checked and marked (on the bench, 134 ms for the first scan after a night against 48 ms once vacuumed), and
updates find less room for in-place (HOT) writes. At 2 % autovacuum cleans up after each night.
"""

from django.db import migrations

TABLES = ("engine_accountevaluation", "engine_coveragerow", "engine_alert")
SETTINGS = ("autovacuum_vacuum_scale_factor", "autovacuum_analyze_scale_factor")


def _set(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} SET ({', '.join(f'{s} = 0.02' for s in SETTINGS)})")


def _reset(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} RESET ({', '.join(SETTINGS)})")


class Migration(migrations.Migration):
    dependencies = [("engine", "0010_evaluation_tally")]

    operations = [migrations.RunPython(_set, _reset)]
