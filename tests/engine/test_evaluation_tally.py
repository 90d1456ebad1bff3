"""The evaluation tally (engine.EvaluationTally) counts the evaluations whatever writes or deletes them
(PostgreSQL triggers); the coverage figures read it."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Count

from dashboards.selectors import coverage_figures
from engine import tallies
from engine.models import AccountEvaluation, EvaluationTally, EvaluationTallyChange
from engine.services import recompute_accounts, recompute_all
from tests.engine.migrating import migrate_to, migrate_to_latest
from tests.engine.tallied import tallied
from tests.factories import AccountFactory, OpportunityFactory, TouchFactory

D = dt.date(2026, 7, 20)
JST = dt.timezone(dt.timedelta(hours=9))


def _counted():
    """(state, coverage, latest touch) -> accounts, from the evaluations themselves."""
    return {(r["state"], r["coverage"], r["last_touch_on"]): r["n"] for r in
            AccountEvaluation.objects.values("state", "coverage", "last_touch_on").annotate(n=Count("account"))}


def _tallied():
    """The same from the tally (engine.tallies.EVALUATIONS)."""
    return tallied(tallies.EVALUATIONS)


def _touch(account, day):
    return TouchFactory(account=account, occurred_on=day, kind="human", performer_role="sales",
                        occurred_at=dt.datetime.combine(day, dt.time(10), tzinfo=JST))


@pytest.mark.django_db
def test_the_tally_follows_every_write_and_delete_of_evaluations_and_folds_to_the_same_counts(require_postgres):
    accounts = [AccountFactory() for _ in range(4)]
    for account in accounts[:3]:
        OpportunityFactory(account=account, opened_on=D - dt.timedelta(days=30))
    _touch(accounts[0], D - dt.timedelta(days=2))
    recompute_all(as_of=D)
    assert _tallied() == _counted() and len(_counted()) >= 2

    _touch(accounts[1], D)  # a logged touch: the account is evaluated at once
    recompute_accounts(account_ids=[accounts[1].id], as_of=D)
    assert _tallied() == _counted()

    AccountEvaluation.objects.filter(account=accounts[2]).update(coverage="grace")  # any writer
    accounts[3].delete()  # its evaluation goes with it (a cascade)
    assert _tallied() == _counted()

    recompute_all(as_of=D + dt.timedelta(days=1))  # a run folds the changes in at its end
    assert not EvaluationTallyChange.objects.exists()
    assert not EvaluationTally.objects.filter(accounts=0).exists()
    assert _tallied() == _counted()
    figures = coverage_figures()
    assert sum(row["accounts"] for row in figures["by_state"].values()) == 3


@pytest.mark.django_db
def test_folding_changes_nothing_the_figures_show(require_postgres):
    for _ in range(3):
        OpportunityFactory(account=AccountFactory(), opened_on=D - dt.timedelta(days=30))
    recompute_all(as_of=D)
    AccountEvaluation.objects.filter(coverage="under_covered").update(coverage="compliant")
    before = coverage_figures()
    assert EvaluationTallyChange.objects.exists()
    tallies.fold_changes()
    tallies.fold_changes()  # nothing left to fold
    assert coverage_figures() == before
    assert _tallied() == _counted()


@pytest.mark.django_db(transaction=True)
def test_emptying_the_evaluations_empties_the_tally(require_postgres):
    for coverage in ("grace", "grace", "compliant"):
        AccountEvaluation.objects.create(account=AccountFactory(), state="LOYAL", coverage=coverage)
    tallies.fold_changes()
    assert EvaluationTally.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE engine_accountevaluation")
    assert _tallied() == {} == _counted()


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_the_evaluations_there_are(require_postgres):
    apps = migrate_to("engine", "0009_coverage_status_updated_in_place")
    Account = apps.get_model("accounts", "Account")
    Evaluation = apps.get_model("engine", "AccountEvaluation")
    for i, (state, coverage, last) in enumerate([("LOYAL", "grace", D), ("LOYAL", "grace", D),
                                                 ("LOYAL", "compliant", None), ("OUT_OF_SCOPE", "", None)]):
        account = Account.objects.create(external_id=f"M{i}", name=f"M{i}", state=state)
        Evaluation.objects.create(account=account, state=state, coverage=coverage, last_touch_on=last)
    apps = migrate_to("engine", "0010_evaluation_tally")
    tally = set(apps.get_model("engine", "EvaluationTally").objects.values_list(
        "state", "coverage", "last_touch_on", "accounts"))
    assert tally == {("LOYAL", "grace", D, 2), ("LOYAL", "compliant", None, 1), ("OUT_OF_SCOPE", "", None, 1)}
    migrate_to_latest()
