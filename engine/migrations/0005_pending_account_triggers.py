"""PostgreSQL triggers that record which accounts' data changed since their latest evaluation (PendingAccount).

Statement-level triggers with transition tables on touches, deals and leads (one INSERT … SELECT DISTINCT per
statement, whatever its size); on accounts, new rows (statement level) and updates of any column the pipeline does
not own (row level, only when a value differs). SQLite has no such triggers: there every run evaluates every account.
"""

from django.db import migrations

# Account columns the pipeline (and ICP rescoring) write: changing them is not new data. Every other column is
# watched; tests/engine/test_incremental.py keeps this list and the model in step.
ENGINE_OWNED_ACCOUNT_COLUMNS = (
    "id", "state", "state_since", "state_initial", "state_as_of", "icp_fit", "icp_profile_id", "icp_tier",
    "icp_matched", "created_at", "updated_at",
)
WATCHED_ACCOUNT_COLUMNS = (
    "external_id", "name", "corporate_number", "domain", "industry", "listed", "employees", "annual_revenue",
    "revenue_growth_pct", "promo_budget", "avg_order_amount", "departments", "regions", "technologies", "prefecture",
    "is_target", "owner_csm_id", "owner_sales_id", "owner_inside_sales_id", "owner_marketing_id",
    "owner_executive_id",
)
CHILD_TABLES = ("contacts_touch", "accounts_opportunity", "accounts_lead")

# Each trigger function marks the accounts whose ids a query over its transition table gives.
MARKED_IDS = {
    "engine_pending_from_new_rows": "SELECT DISTINCT account_id FROM new_rows WHERE account_id IS NOT NULL",
    "engine_pending_from_old_rows": "SELECT DISTINCT account_id FROM old_rows WHERE account_id IS NOT NULL",
    "engine_pending_from_changed_rows": "SELECT account_id FROM (SELECT account_id FROM new_rows UNION "
                                        "SELECT account_id FROM old_rows) ids WHERE account_id IS NOT NULL",
    "engine_pending_new_accounts": "SELECT id FROM new_rows",
}
FUNCTIONS = "\n".join(
    f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO engine_pendingaccount (account_id) {ids} ORDER BY 1 ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;"""
    for name, ids in MARKED_IDS.items()
) + """
CREATE OR REPLACE FUNCTION engine_pending_changed_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO engine_pendingaccount (account_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
"""


def _triggers_sql() -> list[str]:
    statements = [FUNCTIONS]
    for table in CHILD_TABLES:
        statements += [
            f"CREATE TRIGGER {table}_pending_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION engine_pending_from_new_rows()",
            f"CREATE TRIGGER {table}_pending_update AFTER UPDATE ON {table} "
            f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION engine_pending_from_changed_rows()",
            f"CREATE TRIGGER {table}_pending_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION engine_pending_from_old_rows()",
        ]
    old = ", ".join(f"OLD.{c}" for c in WATCHED_ACCOUNT_COLUMNS)
    new = ", ".join(f"NEW.{c}" for c in WATCHED_ACCOUNT_COLUMNS)
    statements += [
        "CREATE TRIGGER accounts_account_pending_insert AFTER INSERT ON accounts_account "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION engine_pending_new_accounts()",
        # UPDATE OF: a statement that sets none of these columns (the pipeline's, ICP rescoring's) skips the trigger
        # altogether; WHEN: one that sets them to the values they had marks nothing.
        f"CREATE TRIGGER accounts_account_pending_update AFTER UPDATE OF {', '.join(WATCHED_ACCOUNT_COLUMNS)} "
        f"ON accounts_account FOR EACH ROW "
        f"WHEN (({old}) IS DISTINCT FROM ({new})) EXECUTE FUNCTION engine_pending_changed_account()",
    ]
    return statements


def _drop_sql() -> list[str]:
    statements = []
    for table in CHILD_TABLES:
        for event in ("insert", "update", "delete"):
            statements.append(f"DROP TRIGGER IF EXISTS {table}_pending_{event} ON {table}")
    statements += [
        "DROP TRIGGER IF EXISTS accounts_account_pending_insert ON accounts_account",
        "DROP TRIGGER IF EXISTS accounts_account_pending_update ON accounts_account",
    ]
    for name in (*MARKED_IDS, "engine_pending_changed_account"):
        statements.append(f"DROP FUNCTION IF EXISTS {name}()")
    return statements


def _run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements():
            schema_editor.execute(sql)
    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("engine", "0004_incremental_nights"),
        ("accounts", "0004_account_name_trigram_index"),
        ("contacts", "0002_initial"),
    ]

    operations = [migrations.RunPython(_run(_triggers_sql), _run(_drop_sql))]
