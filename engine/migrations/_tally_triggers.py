"""The PostgreSQL statement triggers that keep a tally (migrations 0010 and 0014): frozen with the migrations that
use it (the migration loader skips modules whose name starts with "_"). The live description of the tallies — keys,
fold, readers — is engine/tallies.py; this is history, as the migrations are.

A tally counts the rows of `table` (those `where` selects) per key; each statement's net change goes into
`changes` — +1 per new row, -1 per old row, summed per key, keys that cancel left out — and a run's last step
folds the changes into `tally`. Truncating `table` empties both.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TallyTriggers:
    table: str  # the counted table
    function_prefix: str  # its trigger functions are <prefix>_inserted, _deleted, _updated, _truncated
    tally: str
    changes: str
    keys: tuple[str, ...]
    counted: str
    where: str = ""  # which rows count, e.g. "WHERE status = 'open'"

    def _function(self, event: str) -> str:
        return f"{self.function_prefix}_{event}"

    def create(self, apps, schema_editor) -> None:
        """RunPython's forward step."""
        if schema_editor.connection.vendor != "postgresql":
            return
        keys = ", ".join(self.keys)
        positions = ", ".join(str(i + 1) for i in range(len(self.keys)))
        sources = {
            "inserted": f"SELECT {keys}, 1 AS n FROM new_rows {self.where}",
            "deleted": f"SELECT {keys}, -1 AS n FROM old_rows {self.where}",
            "updated": f"SELECT {keys}, -1 AS n FROM old_rows {self.where} UNION ALL "
                       f"SELECT {keys}, 1 FROM new_rows {self.where}",
        }
        for event, rows in sources.items():
            schema_editor.execute(f"""CREATE OR REPLACE FUNCTION {self._function(event)}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {self.changes} ({keys}, {self.counted})
    SELECT {keys}, SUM(n) FROM ({rows}) c GROUP BY {positions} HAVING SUM(n) <> 0;
    RETURN NULL;
END $$""")
        schema_editor.execute(f"""CREATE OR REPLACE FUNCTION {self._function("truncated")}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {self.changes};
    DELETE FROM {self.tally};
    RETURN NULL;
END $$""")
        transitions = {"insert": "REFERENCING NEW TABLE AS new_rows",
                       "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
                       "delete": "REFERENCING OLD TABLE AS old_rows", "truncate": ""}
        functions = {"insert": "inserted", "update": "updated", "delete": "deleted", "truncate": "truncated"}
        for event, referencing in transitions.items():
            schema_editor.execute(
                f"CREATE TRIGGER {self.table}_tally_{event} AFTER {event.upper()} ON {self.table} {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {self._function(functions[event])}()")
        # The first count, of the rows there are.
        schema_editor.execute(f"INSERT INTO {self.tally} ({keys}, {self.counted}) "
                              f"SELECT {keys}, COUNT(*) FROM {self.table} {self.where} GROUP BY {positions}")

    def drop(self, apps, schema_editor) -> None:
        """RunPython's backward step."""
        if schema_editor.connection.vendor != "postgresql":
            return
        for event in ("insert", "update", "delete", "truncate"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {self.table}_tally_{event} ON {self.table}")
        for event in ("inserted", "deleted", "updated", "truncated"):
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {self._function(event)}()")
