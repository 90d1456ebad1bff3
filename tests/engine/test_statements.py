"""Each statement of the nightly chunk (engine.statements) on tiny data: what it reads or writes, checked row by row.

Runs on SQLite by default and on PostgreSQL when DATABASE_URL is set: each statement's two dialects are held to
the same answers.
"""

import datetime as dt
import json

import pytest
from django.db import connection, transaction

from accounts.models import Account, Opportunity
from engine import domain, statements
from engine.models import AccountEvaluation, Alert, CoverageRow, PendingAccount
from engine.records import (
    CoverageValues, DealFacts, EvaluationRow, LeadFacts, OpenAlertRow, TouchCounts, TouchDates,
)
from engine.statements import AccountSelection
from profiles.scoring import Criterion, ProfileSpec, account_attributes, attribute_fields_read_by, best_fit
from tests.factories import AccountFactory, LeadFactory, OpportunityFactory, TouchFactory

pytestmark = pytest.mark.django_db
D = dt.date(2026, 7, 20)
JST = dt.timezone(dt.timedelta(hours=9))


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def touch(account, day: dt.date, kind: str = "human", role: str = "sales"):
    at = dt.datetime(day.year, day.month, day.day, 10, tzinfo=JST)
    return TouchFactory(account=account, occurred_at=at, occurred_on=day, kind=kind, performer_role=role)


def ids(*accounts) -> AccountSelection:
    return AccountSelection(ids=tuple(sorted(a.id for a in accounts)))


def span(*accounts) -> AccountSelection:
    return AccountSelection(first_id=min(a.id for a in accounts), last_id=max(a.id for a in accounts))


def test_tune_transaction_turns_parallel_workers_off_for_the_transaction_only():
    with transaction.atomic():
        statements.tune_transaction()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW max_parallel_workers_per_gather")
                assert cursor.fetchone()[0] == "0"


def test_take_pending_accounts_removes_and_returns_the_selections_marks_only():
    a, b, c = AccountFactory(), AccountFactory(), AccountFactory()
    PendingAccount.objects.all().delete()  # PostgreSQL's triggers marked the new accounts
    PendingAccount.objects.bulk_create([PendingAccount(account_id=x.id) for x in (a, b, c)])
    assert statements.take_pending_accounts(ids(a)) == [a.id]
    assert sorted(statements.take_pending_accounts(span(a, b))) == [b.id]
    assert statements.take_pending_accounts(AccountSelection(ids=())) == []
    assert list(PendingAccount.objects.values_list("account_id", flat=True)) == [c.id]


def test_read_accounts_without_a_profile_reads_the_stored_columns_and_no_fit(sales):
    account = AccountFactory(state="LEAD", state_since=D - days(3), state_initial=True, is_target=True,
                             owner_sales=sales, icp_fit=40, icp_tier="B", icp_matched=[0, 2])
    (row,) = statements.read_accounts(ids(account), [])
    assert row[:13] == (account.id, "LEAD", D - days(3), True, True, 40, None, "B", None, sales.id, None, None, None)
    assert json.loads(row.icp_matched) == [0, 2]
    assert (row.new_fit, row.new_profile_id, row.new_tier, row.new_matched) == (0, None, "", "[]")
    assert statements.read_accounts(span(account), []) == [row]
    assert statements.read_accounts(AccountSelection(ids=()), []) == []


def test_read_accounts_computes_the_fit_in_sql_and_leaves_the_inexact_to_python():
    spec = ProfileSpec(profile_id=7, name="Makers", criteria=(
        Criterion("industry", "in", ["manufacturing"], 5), Criterion("listed", "is_true", None, 2)))
    exact, other, inexact = AccountFactory(listed=True), AccountFactory(industry="retail"), AccountFactory(industry="ＩＴ")
    rows = {row.id: row for row in statements.read_accounts(span(exact, other, inexact), [spec])}
    for account in (exact, other):
        values = Account.objects.values("id", *attribute_fields_read_by([spec])).get(id=account.id)
        fit = best_fit(account_attributes(values), [spec])
        row = rows[account.id]
        assert (row.new_fit, row.new_profile_id, row.new_tier, json.loads(row.new_matched)) == (
            fit.fit, fit.profile_id, fit.tier, list(fit.matched))
    assert rows[exact.id].new_fit > 0
    assert rows[inexact.id][-4:] == (None, None, None, None)


def test_deal_facts_aggregate_each_accounts_deals_as_of_d():
    account, dealless = AccountFactory(), AccountFactory()
    won = dict(account=account, status=Opportunity.Status.WON)
    OpportunityFactory(**won, opened_on=D - days(400), closed_on=D - days(300), contract_end=D + days(65))
    OpportunityFactory(**won, opened_on=D - days(90), closed_on=D - days(30), contract_end=D + days(335))
    OpportunityFactory(**won, opened_on=D - days(10), closed_on=D + days(5))  # won after D: open as of D
    OpportunityFactory(account=account, opened_on=D - days(3), amount=700)
    OpportunityFactory(account=account, opened_on=D + days(2), amount=300)  # opens after D
    facts = statements.deal_facts(span(account, dealless), D)
    assert facts == {account.id: DealFacts(
        first_won_on=D - days(300), won_count=2, latest_won_on=D - days(30), latest_contract_end=D + days(335),
        open_deals=2, open_amount=1000, next_dated_on=D + days(2))}
    assert statements.deal_facts(ids(account), D) == facts


def test_lead_facts_aggregate_each_accounts_leads_as_of_d():
    account = AccountFactory()
    LeadFactory(account=account, created_on=D - days(20), score=70)
    LeadFactory(account=account, created_on=D - days(40), closed_on=D + days(9), score=90)  # open until after D
    LeadFactory(account=account, created_on=D - days(40), closed_on=D - days(1), score=99)  # closed
    LeadFactory(account=account, created_on=D + days(4), score=100)  # created after D
    facts = statements.lead_facts(ids(account), D)
    assert facts == {account.id: LeadFacts(open_leads=2, max_open_score=90, next_dated_on=D + days(4))}
    assert statements.lead_facts(span(account), D) == facts


def test_touch_dates_are_the_latest_up_to_d_and_the_first_after():
    account, untouched = AccountFactory(), AccountFactory()
    for day in (D - days(50), D - days(2), D + days(3), D + days(8)):
        touch(account, day, kind="digital")
    dates = statements.touch_dates(span(account, untouched), D)
    assert dates == {account.id: TouchDates(latest_on=D - days(2), next_on=D + days(3))}
    assert statements.touch_dates(ids(account), D) == dates


def test_touch_counts_count_the_matching_touches_of_each_accounts_new_state():
    spec = domain.RequirementSpec(state="NEGOTIATION", code="human", kind="human", min_count=2, window_days=7,
                                  responsible_role="sales", performer_roles=("sales", "inside_sales"))
    anyone = domain.RequirementSpec(state="NEGOTIATION", code="digital", kind="digital", min_count=1,
                                    window_days=30, responsible_role="marketing")
    a, b, c = AccountFactory(), AccountFactory(), AccountFactory()
    for day, role in ((D, "sales"), (D - days(6), "inside_sales"), (D - days(3), "csm"), (D - days(7), "sales"),
                      (D + days(1), "sales")):
        touch(a, day, role=role)
    touch(a, D - days(40), kind="digital", role="csm")  # matches, outside the window
    touch(b, D - days(1))  # b's new state has no requirements
    requirements = {"NEGOTIATION": (spec, anyone)}
    states = {a.id: "NEGOTIATION", b.id: "LEAD", c.id: "NEGOTIATION"}
    expected = {
        (a.id, "human"): TouchCounts(counted=2, nth_recent_on=D - days(6), latest_on=D, oldest_in_window_on=D - days(6)),
        (a.id, "digital"): TouchCounts(counted=0, nth_recent_on=None, latest_on=D - days(40), oldest_in_window_on=None),
    }
    # SQLite joins the accounts' stored states: give them the new ones.
    for account in (a, b, c):
        Account.objects.filter(id=account.id).update(state=states[account.id])
    for selection in (span(a, b, c), ids(a, b, c)):
        counts = statements.touch_counts(selection, D, requirements, states)
        assert _comparable(counts, {"human": 2, "digital": 1}) == expected
    assert statements.touch_counts(span(a), D, {}, states) == {}


def _comparable(counts: dict, min_count: dict[str, int]) -> dict:
    """The n-th most recent counting date is read only when the window holds min_count touches (engine.domain.
    evaluate_requirement); below that, SQLite's ranking gives the newest matching touch outside the window where
    PostgreSQL gives None."""
    return {(account_id, code): c if c.counted >= min_count[code] else c._replace(nth_recent_on=None)
            for (account_id, code), c in counts.items()}


def test_coverage_rows_reads_the_selections_stored_rows(sales):
    account, other = AccountFactory(), AccountFactory()
    values = CoverageValues(state="NEGOTIATION", kind="human", min_count=1, window_days=7, counted=1, gap=0,
                            status="covered", last_touch_on=D - days(2), due_on=D + days(5), responsible_role="sales",
                            assignee_id=sales.id)
    row = CoverageRow.objects.create(account=account, requirement="human", as_of=D, **values._asdict())
    CoverageRow.objects.create(account=other, requirement="human", as_of=D, **values._asdict())
    for selection in (ids(account), AccountSelection(first_id=account.id, last_id=account.id)):
        assert [tuple(r) for r in statements.coverage_rows(selection)] == [(row.id, account.id, "human", *values)]


def test_write_evaluations_inserts_then_updates_each_accounts_evaluation():
    a, b = AccountFactory(), AccountFactory()
    first = [EvaluationRow(a.id, D + days(3), "LEAD", "compliant", D - days(1)),
             EvaluationRow(b.id, None, "OUT_OF_SCOPE", "", None)]
    statements.write_evaluations(first, after_night=False)
    statements.write_evaluations([first[0]._replace(due_on=None, coverage="under_covered")], after_night=True)
    statements.write_evaluations([], after_night=False)
    stored = {e.account_id: (e.due_on, e.state, e.coverage, e.last_touch_on, e.after_night)
              for e in AccountEvaluation.objects.all()}
    assert stored == {a.id: (None, "LEAD", "under_covered", D - days(1), True),
                      b.id: (None, "OUT_OF_SCOPE", "", None, False)}


def _alert(account, *, status=Alert.Status.OPEN, requirement="human", assignee=None):
    return Alert.objects.create(
        account=account, state="NEGOTIATION", requirement=requirement, status=status, opened_on=D - days(4),
        changed_on=D - days(1), responsible_role="sales", assignee=assignee, gap=1, counted=0, state_weight=0,
        fell_due_on=D - days(4), icp_fit=30, deal_amount=500)


def test_open_alert_rows_reads_the_selections_open_alerts_only(sales):
    account, other = AccountFactory(), AccountFactory()
    alert = _alert(account, assignee=sales)
    _alert(account, status=Alert.Status.RESOLVED)
    _alert(other)
    expected = [OpenAlertRow(alert.id, account.id, "NEGOTIATION", "human", D - days(4), 1, 0, sales.id, "sales", 0,
                             D - days(4), 30, 500)]
    assert statements.open_alert_rows(ids(account)) == expected
    assert statements.open_alert_rows(AccountSelection(first_id=account.id, last_id=account.id)) == expected
    assert statements.open_alert_rows(AccountSelection(ids=())) == []


def test_resolve_alerts_resolves_open_alerts_each_with_its_resolution():
    account = AccountFactory()
    covered, moved, done = _alert(account), _alert(account, requirement="digital"), _alert(account, requirement="x")
    Alert.objects.filter(id=done.id).update(status=Alert.Status.RESOLVED, resolution="covered", resolved_on=D - days(9))
    statements.resolve_alerts([(covered.id, "covered"), (moved.id, "state_changed"), (done.id, "state_changed")], D)
    resolved = {a.id: (a.status, a.resolved_on, a.resolution, a.gap) for a in Alert.objects.all()}
    assert resolved == {covered.id: ("resolved", D, "covered", 1), moved.id: ("resolved", D, "state_changed", 1),
                        done.id: ("resolved", D - days(9), "covered", 1)}

