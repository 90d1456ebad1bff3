"""The open-alert tally (engine.OpenAlertTally) counts the open alerts per responsible role and assignee whatever
writes or deletes them (PostgreSQL triggers); the coverage dashboard reads it."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Count

from contacts.services import touch_log
from core.timeutil import business_today
from dashboards.selectors import open_alerts_by_role_and_person
from engine.alerts import alert_acknowledge, alert_reassign, alert_snooze
from engine import tallies
from engine.models import Alert, OpenAlertTally, OpenAlertTallyChange
from engine.services import recompute_all
from tests.engine.migrating import migrate_to, migrate_to_latest
from tests.engine.tallied import tallied
from tests.factories import AccountFactory, OpportunityFactory, UserFactory

D = dt.date(2026, 7, 20)


def _counted():
    """(responsible role, assignee) -> open alerts, from the alerts themselves."""
    return {(r["responsible_role"], r["assignee_id"]): r["n"] for r in
            Alert.objects.filter(status="open").values("responsible_role", "assignee_id").annotate(n=Count("id"))}


def _tallied():
    """The same from the tally (engine.tallies.OPEN_ALERTS)."""
    return tallied(tallies.OPEN_ALERTS)


@pytest.mark.django_db
def test_the_tally_follows_every_write_and_delete_of_alerts_and_folds_to_the_same_counts(require_postgres):
    reps = [UserFactory(role="sales") for _ in range(3)]
    manager = UserFactory(role="manager")
    accounts = [AccountFactory(owner_sales=reps[i % 3]) for i in range(6)]
    accounts.append(AccountFactory())  # no owner: its alerts go to the role's queue
    for account in accounts:
        OpportunityFactory(account=account, opened_on=D - dt.timedelta(days=30))
    recompute_all(as_of=D)  # every negotiating account is under-covered: alerts opened
    assert _tallied() == _counted() and len(_counted()) >= 4

    alert_acknowledge(alert_id=Alert.objects.filter(assignee=reps[0]).first().id, actor=reps[0])
    alert_snooze(alert_id=Alert.objects.filter(assignee=reps[1]).first().id, actor=reps[1],
                 until=business_today() + dt.timedelta(days=3))
    alert_reassign(alerts=Alert.objects.filter(assignee=reps[2]), assignee=reps[0], actor=manager)
    touch_log(actor=reps[1], account=accounts[1], kind="human", channel="phone")  # resolves its alert at once
    assert Alert.objects.filter(account=accounts[1], status="resolved").exists()
    Alert.objects.filter(account=accounts[5]).update(status="resolved", resolution="covered")  # any writer
    accounts[4].delete()  # its alerts go with it (a cascade)
    reps[0].delete()  # its alerts are no one's (SET_NULL), still open
    assert _tallied() == _counted()

    recompute_all(as_of=D + dt.timedelta(days=1))  # a run folds the changes in at its end
    assert not OpenAlertTallyChange.objects.exists()
    assert not OpenAlertTally.objects.filter(alerts=0).exists()
    assert _tallied() == _counted()


@pytest.mark.django_db
def test_folding_changes_nothing_the_dashboard_shows(require_postgres):
    rep = UserFactory(role="sales")
    for _ in range(3):
        OpportunityFactory(account=AccountFactory(owner_sales=rep), opened_on=D - dt.timedelta(days=30))
    recompute_all(as_of=D)
    Alert.objects.filter(assignee=rep).update(assignee=None)
    before = open_alerts_by_role_and_person()
    assert OpenAlertTallyChange.objects.exists()
    tallies.fold_changes()
    tallies.fold_changes()  # nothing left to fold
    assert open_alerts_by_role_and_person() == before
    assert _tallied() == _counted()


@pytest.mark.django_db(transaction=True)
def test_emptying_the_alerts_empties_the_tally(require_postgres):
    for role in ("sales", "sales", "csm"):
        Alert.objects.create(account=AccountFactory(), state="LOYAL", requirement="x", responsible_role=role,
                             gap=1, opened_on=D, changed_on=D)
    tallies.fold_changes()
    assert OpenAlertTally.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE engine_alert")
    assert _tallied() == {} == _counted()


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_the_open_alerts_there_are(require_postgres):
    apps = migrate_to("engine", "0013_evaluations_after_the_night")
    Account = apps.get_model("accounts", "Account")
    HistoricalAlert = apps.get_model("engine", "Alert")
    for i, (role, status) in enumerate([("sales", "open"), ("sales", "open"), ("csm", "open"), ("csm", "resolved")]):
        account = Account.objects.create(external_id=f"M{i}", name=f"M{i}", state="LOYAL")
        HistoricalAlert.objects.create(account=account, state="LOYAL", requirement="x", responsible_role=role,
                                       status=status, gap=1, opened_on=D, changed_on=D)

    apps = migrate_to("engine", "0014_open_alert_tally")
    tally = {(r.responsible_role, r.assignee_id): r.alerts for r in apps.get_model("engine", "OpenAlertTally").objects.all()}
    assert tally == {("sales", None): 2, ("csm", None): 1}
    migrate_to_latest()
