"""Searching accounts by part of their name or by corporate number (the accounts list, the ICP review) at a million accounts.

``name__icontains`` is ``UPPER(name::text) LIKE UPPER('%…%')`` on PostgreSQL: no B-tree helps, so the search read
the whole table (250 ms at 1M accounts). A trigram GIN index on that very expression lets PostgreSQL find the few
matching rows. PostgreSQL only (pg_trgm ships with PostgreSQL and is a trusted extension); SQLite keeps its scan.
"""

from django.db import migrations, models

INDEX = "account_name_upper_trgm_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS {INDEX} ON accounts_account USING gin ((UPPER("name"::text)) gin_trgm_ops)')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_account_name_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="account",
            index=models.Index(fields=["corporate_number"], name="account_corporate_number_idx"),
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
