"""Data migrations of the engine: accounts classified before 0006 get their AccountEvaluation from what the latest
run left; evaluations a logged touch made before 0013 are flagged as made after the night."""

import datetime as dt

import pytest

from tests.engine.migrating import migrate_to, migrate_to_latest

D = dt.date(2026, 7, 20)


@pytest.mark.django_db(transaction=True)
def test_the_figures_of_accounts_classified_before_the_migration_are_kept():
    apps = migrate_to("engine", "0005_pending_account_triggers")
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

    apps = migrate_to("engine", "0006_fill_account_evaluations")
    rows = set(apps.get_model("engine", "AccountEvaluation").objects.values_list(
        "account_id", "state", "coverage", "last_touch_on", "due_on"))
    assert rows == {(loyal.id, "LOYAL", "grace", None, None),
                    (lead.id, "TARGET_NO_LEAD", "", D - dt.timedelta(days=3), None)}
    migrate_to_latest()


@pytest.mark.django_db(transaction=True)
def test_evaluations_made_by_a_logged_touch_before_engine_0013_are_flagged_as_after_the_night():
    apps = migrate_to("engine", "0012_nightly_updates_in_place")
    Account = apps.get_model("accounts", "Account")
    AccountEvaluation = apps.get_model("engine", "AccountEvaluation")
    RecomputeRun = apps.get_model("engine", "RecomputeRun")
    RecomputeRun.objects.create(as_of=D, status="completed")
    RecomputeRun.objects.create(as_of=D + dt.timedelta(days=5), status="failed")  # not completed: not the latest
    evaluations = {}
    for name, last_touch_on in (("night", D), ("logged", D + dt.timedelta(days=1)), ("untouched", None)):
        account = Account.objects.create(external_id=name, name=name, state="LEAD")
        AccountEvaluation.objects.create(account=account, state="LEAD", last_touch_on=last_touch_on)
        evaluations[name] = account.id

    apps = migrate_to("engine", "0013_evaluations_after_the_night")
    flagged = set(apps.get_model("engine", "AccountEvaluation").objects.filter(after_night=True)
                  .values_list("account_id", flat=True))
    assert flagged == {evaluations["logged"]}
    migrate_to_latest()
