"""Accounts classified before engine 0006 get their AccountEvaluation from what the latest run left."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

D = dt.date(2026, 7, 20)


@pytest.mark.django_db(transaction=True)
def test_the_figures_of_accounts_classified_before_the_migration_are_kept():
    executor = MigrationExecutor(connection)
    executor.migrate([("engine", "0005_pending_account_triggers")])
    apps = executor.loader.project_state([("engine", "0005_pending_account_triggers")]).apps
    Account = apps.get_model("accounts", "Account")
    CoverageRow = apps.get_model("engine", "CoverageRow")
    Touch = apps.get_model("contacts", "Touch")
    RecomputeRun = apps.get_model("engine", "RecomputeRun")
    RecomputeRun.objects.create(as_of=D, status="completed")
    loyal = Account.objects.create(external_id="A", name="A", state="LOYAL")
    lead = Account.objects.create(external_id="B", name="B", state="TARGET_NO_LEAD")
    Account.objects.create(external_id="C", name="C", state="")  # never classified: nothing to keep
    for code, status in (("human", "grace"), ("executive", "covered")):
        CoverageRow.objects.create(account=loyal, state="LOYAL", requirement=code, kind="human", min_count=1,
                                   window_days=30, counted=0, gap=1, status=status, responsible_role="csm", as_of=D)
    for day in (D - dt.timedelta(days=3), D + dt.timedelta(days=2)):  # the later one is after the latest run
        Touch.objects.create(account=lead, kind="digital", performer_role="marketing", occurred_on=day,
                             occurred_at=dt.datetime.combine(day, dt.time(3), tzinfo=dt.timezone.utc))

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("engine", "0006_fill_account_evaluations")])
    apps = executor.loader.project_state([("engine", "0006_fill_account_evaluations")]).apps
    rows = set(apps.get_model("engine", "AccountEvaluation").objects.values_list(
        "account_id", "state", "coverage", "last_touch_on", "due_on"))
    assert rows == {(loyal.id, "LOYAL", "grace", None, None),
                    (lead.id, "TARGET_NO_LEAD", "", D - dt.timedelta(days=3), None)}
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
