"""Accounts classified before AccountEvaluation existed get theirs from what the latest run left (their state,
coverage rows and touches), so the coverage figures stay right until the next run. `due_on` stays empty: that next
run is a full one anyway (the runs before carry no configuration fingerprint) and sets it."""

from django.db import migrations

FILL = """
INSERT INTO engine_accountevaluation (account_id, due_on, state, coverage, last_touch_on)
SELECT a.id, NULL, a.state,
       COALESCE((SELECT CASE WHEN SUM(CASE WHEN c.status = 'under_covered' THEN 1 ELSE 0 END) > 0 THEN 'under_covered'
                             WHEN SUM(CASE WHEN c.status = 'grace' THEN 1 ELSE 0 END) > 0 THEN 'grace'
                             WHEN COUNT(*) > 0 THEN 'compliant' ELSE '' END
                 FROM engine_coveragerow c WHERE c.account_id = a.id), ''),
       (SELECT MAX(t.occurred_on) FROM contacts_touch t
        WHERE t.account_id = a.id
          AND t.occurred_on <= (SELECT MAX(r.as_of) FROM engine_recomputerun r WHERE r.status = 'completed'))
FROM accounts_account a
WHERE a.state <> ''
"""


class Migration(migrations.Migration):
    dependencies = [("engine", "0005_pending_account_triggers")]

    operations = [migrations.RunSQL(FILL, migrations.RunSQL.noop)]
