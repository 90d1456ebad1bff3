"""Moving the test database to a migration and back, for the tests of data migrations (transactional tests)."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_to(app_label: str, migration: str):
    """The database at `app_label`'s `migration` (forwards or backwards); returns the models as they were then."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([(app_label, migration)])
    return executor.loader.project_state([(app_label, migration)]).apps


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
