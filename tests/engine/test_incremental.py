"""Incremental nights: a run evaluates only the accounts whose data changed or whose evaluation can change by its
date, and leaves the database exactly as a run over every account would."""

import datetime as dt

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Account, Lead, Opportunity
from contacts.models import Touch
from core.choices import State
from dashboards.selectors import coverage_figures
from engine import domain
from engine.models import AccountEvaluation, Alert, CoverageRow, PendingAccount, RecomputeRun
from engine.services import recompute_all
from handoffs.models import Handoff
from segments.models import StateThresholds, StateTransition
from tests.engine.test_property import D0, account as account_strategy, _store

T = domain.Thresholds()
D = dt.date(2026, 7, 20)


def days(n):
    return dt.timedelta(days=n)


def req(n=1, p=30, kind="human"):
    return domain.RequirementSpec(state="ACTIVE", code="human", kind=kind, min_count=n, window_days=p,
                                  responsible_role="sales")


def result(spec, status, due_on=None, counted=1):
    return domain.RequirementResult(requirement=spec, counted=counted, gap=max(0, spec.min_count - counted),
                                    status=status, last_touch_on=None, due_on=due_on)


def next_change(**kw):
    values = dict(as_of=D, thresholds=T, first_won_on=None, latest_won_closed_on=None, latest_won_contract_end=None,
                  next_dated_fact_on=None, requirements=(), state_since=D - days(100))
    values.update(kw)
    return domain.next_change_on(**values)


# --- the next date of change, rule by rule ---------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, expected", [
    ({}, None),  # nothing dated ahead, no requirement: only new data can change the evaluation
    ({"next_dated_fact_on": D + days(3)}, D + days(3)),  # a deal, lead or touch dated after D comes into view
    ({"latest_won_contract_end": D}, D + days(1)),  # active through D, not the day after
    ({"latest_won_contract_end": D - days(1)}, None),  # already passed: nothing ahead
    ({"latest_won_closed_on": D - days(364)}, D + days(1)),  # leaves the 365-day churn window tomorrow
    ({"first_won_on": D - days(182)}, D + days(1)),  # onboarding (183 days) ends tomorrow
    ({"first_won_on": D - days(729), "latest_won_closed_on": D - days(10)}, D + days(1)),  # loyal tenure tomorrow
    ({"first_won_on": D - days(400), "latest_won_closed_on": D - days(300)}, D + days(65)),  # churn: 300 + 65 = 365
])
def test_dated_facts_give_the_first_date_a_state_rule_can_flip(kwargs, expected):
    assert next_change(**kwargs) == expected


def test_a_counting_touch_leaving_the_window_is_a_change():
    # Window [D−29, D]: a touch on D−29 is counted today and not tomorrow (D+1−30+1 = D−28).
    spec = req(n=2, p=30)
    assert next_change(requirements=[(result(spec, domain.UNDER_COVERED), D - days(29))]) == D + days(1)
    assert next_change(requirements=[(result(spec, domain.UNDER_COVERED), D - days(10))]) == D + days(20)


def test_a_covered_requirement_changes_when_it_becomes_due_soon():
    spec = req(n=1, p=30)  # due soon when due_on − D ≤ 6
    covered = result(spec, domain.COVERED, due_on=D + days(20))
    assert next_change(requirements=[(covered, D - days(10))]) == D + days(14)
    due_soon = result(spec, domain.DUE_SOON, due_on=D + days(3))
    assert next_change(requirements=[(due_soon, D - days(27))]) == D + days(3)  # then it leaves the window


def test_a_grace_ends_on_the_day_the_window_has_passed_since_the_transition():
    spec = req(n=1, p=7)
    # Grace while D − since + 1 < 7: since D−4 → grace through D+1, under-covered from D+2.
    grace = result(spec, domain.GRACE, counted=0)
    assert next_change(requirements=[(grace, None)], state_since=D - days(4)) == D + days(2)
    assert domain.evaluate_requirement(requirement=spec, counted=0, nth_recent_on=None, last_touch_on=None,
                                       as_of=D + days(1), state_since=D - days(4), state_initial=False).status == "grace"
    assert domain.evaluate_requirement(requirement=spec, counted=0, nth_recent_on=None, last_touch_on=None,
                                       as_of=D + days(2), state_since=D - days(4), state_initial=False).status == "under_covered"


@pytest.mark.parametrize("statuses, expected", [
    ((), ""),  # a state without requirements is not classified
    (("covered", "due_soon"), "compliant"),
    (("grace", "covered"), "grace"),
    (("under_covered", "grace"), "under_covered"),  # under-covered wins over grace
])
def test_an_account_counts_in_the_figures_by_its_worst_requirement(statuses, expected):
    assert domain.coverage_class(statuses) == expected


def test_the_earliest_candidate_after_d_wins():
    spec = req(n=1, p=30)
    assert next_change(
        next_dated_fact_on=D + days(9), latest_won_contract_end=D + days(40),
        requirements=[(result(spec, domain.COVERED, due_on=D + days(25)), D - days(5))],
    ) == D + days(9)


# --- PostgreSQL: what marks an account as changed -----------------------------------------------------------------

def _pending():
    return set(PendingAccount.objects.values_list("account_id", flat=True))


@pytest.fixture
def two_accounts(require_postgres):
    a = Account.objects.create(external_id="A", name="A")
    b = Account.objects.create(external_id="B", name="B")
    assert _pending() == {a.id, b.id}  # new accounts are waiting for their first evaluation
    PendingAccount.objects.all().delete()
    return a, b


def _touch(account, day=D, **kw):
    return Touch.objects.create(account=account, kind=kw.pop("kind", "human"), performer_role="sales", occurred_on=day,
                                occurred_at=dt.datetime.combine(day, dt.time(3), tzinfo=dt.timezone.utc), **kw)


def test_touches_deals_and_leads_mark_their_account_however_they_are_written(two_accounts):
    a, b = two_accounts
    t = _touch(a)
    assert _pending() == {a.id}
    PendingAccount.objects.all().delete()
    Touch.objects.filter(id=t.id).update(account=b)  # moved: both accounts changed
    assert _pending() == {a.id, b.id}
    PendingAccount.objects.all().delete()
    Touch.objects.filter(id=t.id).delete()
    assert _pending() == {b.id}
    PendingAccount.objects.all().delete()
    deal = Opportunity.objects.create(external_id="O", account=a, opened_on=D, status="open")
    assert _pending() == {a.id}
    PendingAccount.objects.all().delete()
    deal.status, deal.closed_on = "won", D
    deal.save()
    assert _pending() == {a.id}
    PendingAccount.objects.all().delete()
    Lead.objects.create(external_id="L", account=b, created_on=D, status="open", score=80)
    assert _pending() == {b.id}
    PendingAccount.objects.all().delete()
    Lead.objects.filter(account=b).update(score=10)
    assert _pending() == {b.id}


def test_an_account_is_marked_when_its_data_changes_not_when_the_pipeline_writes_it(two_accounts):
    a, b = two_accounts
    Account.objects.filter(id=a.id).update(is_target=False)
    assert _pending() == {a.id}
    PendingAccount.objects.all().delete()
    Account.objects.filter(id=b.id).update(name="B")  # the same value: nothing changed
    assert _pending() == set()
    recompute_all(as_of=D)  # writes state, fit and the rest on both accounts
    assert _pending() == set()
    Account.objects.filter(id=b.id).update(industry="it")
    assert _pending() == {b.id}


def test_every_account_column_the_pipeline_does_not_own_is_watched(require_postgres):
    migration = __import__("engine.migrations.0005_pending_account_triggers", fromlist=["x"])
    # Written by an accepted handoff and read by no night (docs/rules.md §8): the owner the same accept sets is watched.
    handoff_owned = {"lead_role", "supporting_owner_id"}
    columns = {f.column for f in Account._meta.concrete_fields} - handoff_owned
    assert set(migration.WATCHED_ACCOUNT_COLUMNS) == columns - set(migration.ENGINE_OWNED_ACCOUNT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'accounts_account_pending_update'")
        definition = cursor.fetchone()[0]
    for column in migration.WATCHED_ACCOUNT_COLUMNS:
        assert f"new.{column}" in definition.lower()


# --- PostgreSQL: which runs are incremental and what they evaluate ------------------------------------------------

def test_a_run_is_incremental_only_after_a_completed_run_with_the_same_configuration(two_accounts):
    first = recompute_all(as_of=D)
    assert (first.mode, first.accounts_evaluated, first.accounts) == ("full", 2, 2)
    quiet = recompute_all(as_of=D + days(1))
    assert (quiet.mode, quiet.accounts_evaluated, quiet.accounts) == ("incremental", 0, 2)
    assert quiet.counts_by_state == {"TARGET_NO_LEAD": 2}  # every account's state, evaluated or not
    thresholds = StateThresholds.load()
    thresholds.hot_lead_min_score = 60
    thresholds.save()
    changed = recompute_all(as_of=D + days(2))
    assert (changed.mode, changed.accounts_evaluated) == ("full", 2)
    assert recompute_all(as_of=D + days(3), full=True).mode == "full"
    assert recompute_all(as_of=D + days(4)).mode == "incremental"


def test_a_run_evaluates_the_changed_accounts_and_those_due_by_its_date(two_accounts):
    a, b = two_accounts
    Opportunity.objects.create(external_id="W", account=a, opened_on=D - days(400), closed_on=D - days(300),
                               status="won")
    recompute_all(as_of=D)
    a.refresh_from_db()
    assert a.state == "ACTIVE"
    # Active until the won close leaves the 365-day window: D + 65.
    assert AccountEvaluation.objects.get(account=a).due_on == D + days(65)
    assert recompute_all(as_of=D + days(64)).accounts_evaluated == 0
    run = recompute_all(as_of=D + days(65))
    assert run.accounts_evaluated == 1
    a.refresh_from_db()
    assert (a.state, a.state_since) == ("CHURNED", D + days(65))
    _touch(b, D + days(65))
    assert recompute_all(as_of=D + days(66)).accounts_evaluated == 1  # b only: its touch is new data


def test_a_change_committed_after_a_run_is_planned_is_seen_by_that_run_or_left_for_the_next(two_accounts):
    """A run lists its due accounts as it starts; a chunk still takes the change marks of its range when it runs."""
    from engine.services import recompute_chunk, recompute_run_finish, recompute_run_start

    a, b = two_accounts
    Opportunity.objects.create(external_id="W", account=a, opened_on=D - days(400), closed_on=D - days(300),
                               status="won")
    recompute_all(as_of=D)
    run = recompute_run_start(as_of=D + days(65))  # a is due (its won close leaves the window), b is not
    chunk = run.chunks.get()
    assert chunk.planned_account_ids == [a.id]
    _touch(a, D + days(65))  # committed after the plan, before a's chunk: that chunk reads it
    _touch(b, D + days(65))  # outside every chunk of this run: left marked for the next
    recompute_chunk(chunk_id=chunk.id)
    run = recompute_run_finish(run_id=run.id)
    assert run.accounts_evaluated == 1
    assert AccountEvaluation.objects.get(account=a).last_touch_on == D + days(65)
    assert _pending() == {b.id}
    assert recompute_all(as_of=D + days(66)).accounts_evaluated == 1  # b


def test_a_logged_touch_is_evaluated_at_once_and_again_by_the_next_run_whatever_its_date(two_accounts):
    """Logged today, after a run as of D: the account is evaluated as of today at once. A recompute as of D+1 (before
    today) must still leave it as a full run as of D+1 would, so its change mark stays for that run."""
    from contacts.services import touch_log
    from tests.factories import UserFactory

    a, _b = two_accounts
    Opportunity.objects.create(external_id="N", account=a, opened_on=D - days(3), status="open")
    recompute_all(as_of=D)
    user = UserFactory(role="sales")
    touch_log(actor=user, account=a, kind="human", occurred_at=dt.datetime(2026, 7, 21, 10, tzinfo=dt.timezone.utc))
    assert _pending() == {a.id}
    assert CoverageRow.objects.get(account=a).last_touch_on == D + days(1)  # evaluated at once, as of today
    run = recompute_all(as_of=D + days(1))
    assert (run.mode, run.accounts_evaluated) == ("incremental", 1)
    assert CoverageRow.objects.get(account=a).status in ("covered", "due_soon")  # as of D+1 the touch counts
    after_incremental = _snapshot()
    assert recompute_all(as_of=D + days(1), full=True).alerts_opened == 0
    assert _snapshot() == after_incremental
    assert _pending() == set()


# --- PostgreSQL: an incremental night leaves exactly what a full night would -------------------------------------

def _snapshot():
    return (
        sorted(Account.objects.values_list("id", "state", "state_since", "state_initial", "state_as_of", "icp_fit")),
        sorted(CoverageRow.objects.values_list("account_id", "requirement", "state", "counted", "gap", "status",
                                               "last_touch_on", "due_on", "assignee_id", "as_of")),
        sorted(Alert.objects.values_list("account_id", "state", "requirement", "status", "opened_on", "resolved_on",
                                         "resolution", "changed_on", "gap", "counted", "fell_due_on", "deal_amount")),
        sorted(StateTransition.objects.values_list("account_id", "as_of", "from_state", "to_state")),
        sorted(Handoff.objects.values_list("account_id", "created_on", "to_state", "status")),
    )


change = st.one_of(
    st.tuples(st.just("touch"), st.integers(-40, 10), st.sampled_from(["human", "digital"])),
    st.tuples(st.just("delete_touch"), st.integers(0, 50), st.just("")),
    st.tuples(st.just("lead"), st.integers(-20, 10), st.sampled_from(["", "hot"])),
    st.tuples(st.just("win"), st.integers(-30, 5), st.just("")),
    st.tuples(st.just("not_target"), st.integers(0, 0), st.just("")),
)


def _apply(change_spec, account_id, as_of, n):
    what, offset, extra = change_spec
    day = as_of + days(offset)
    account = Account.objects.get(id=account_id)
    if what == "touch":
        _touch(account, day, kind=extra, external_id=f"X{n}")
    elif what == "delete_touch":
        ids = list(Touch.objects.filter(account=account).order_by("id").values_list("id", flat=True))
        if ids:
            Touch.objects.filter(id=ids[offset % len(ids)]).delete()
    elif what == "lead":
        Lead.objects.create(external_id=f"XL{n}", account=account, created_on=day, status="open",
                            score=90 if extra == "hot" else 20)
    elif what == "win":
        Opportunity.objects.create(external_id=f"XO{n}", account=account, opened_on=day - days(30), closed_on=day,
                                   status="won", contract_end=day + days(60))
    else:
        Account.objects.filter(id=account_id).update(is_target=not account.is_target)


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(accounts=st.lists(account_strategy, min_size=1, max_size=5),
       nights=st.lists(st.tuples(st.integers(1, 40), st.lists(st.tuples(st.integers(0, 4), change), max_size=3)),
                       min_size=1, max_size=4))
def test_incremental_nights_leave_what_full_nights_would(require_postgres, accounts, nights):
    for model in (Alert, CoverageRow, StateTransition, Handoff, RecomputeRun, Account):
        model.objects.all().delete()
    stored = [a.id for a in _store(accounts)]
    as_of = D0
    recompute_all(as_of=as_of, chunk_size=2)
    for n, (step, changes) in enumerate(nights):
        for m, (which, change_spec) in enumerate(changes):
            _apply(change_spec, stored[which % len(stored)], as_of, f"{n}-{m}")
        as_of += days(step)
        run = recompute_all(as_of=as_of, chunk_size=2)
        assert run.mode == "incremental"
        after_incremental = _snapshot()
        rerun = recompute_all(as_of=as_of, chunk_size=2, full=True)
        # Every account evaluated again, as of the same date: nothing left to change.
        assert (rerun.mode, rerun.accounts_evaluated) == ("full", len(stored))
        assert (rerun.transitions, rerun.alerts_opened, rerun.alerts_resolved) == (0, 0, 0)
        assert _snapshot() == after_incremental, (n, as_of)
        assert coverage_figures() == _figures_from_rows(as_of)


def _figures_from_rows(as_of):
    """docs/rules.md §9 computed the long way, from accounts, coverage rows and touches."""
    by_state = {state: {"accounts": 0, "compliant": 0, "under_covered": 0, "grace": 0} for state in State.values}
    breadth = {"target_accounts": 0, "touched_30d": 0, "touched_90d": 0}
    for account in Account.objects.exclude(state=""):
        figures = by_state[account.state]
        figures["accounts"] += 1
        statuses = set(CoverageRow.objects.filter(account=account).values_list("status", flat=True))
        if statuses:
            figures["under_covered" if "under_covered" in statuses else "grace" if "grace" in statuses
                    else "compliant"] += 1
        if account.state != State.OUT_OF_SCOPE:
            breadth["target_accounts"] += 1
            for days_back, key in ((30, "touched_30d"), (90, "touched_90d")):
                breadth[key] += Touch.objects.filter(account=account, occurred_on__lte=as_of,
                                                     occurred_on__gte=as_of - days(days_back - 1)).exists()
    return {"as_of": as_of.isoformat(), "by_state": by_state, "breadth": breadth}


# --- PostgreSQL: how a night is planned ----------------------------------------------------------------------------

def test_a_chunk_is_planned_without_parallel_workers_and_with_cached_page_costs(two_accounts):
    from django.db import transaction

    from engine.pipeline import AccountSelection, recompute_selection

    a, b = two_accounts
    with transaction.atomic():
        recompute_selection(selection=AccountSelection(first_id=a.id, last_id=b.id), as_of=D)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('max_parallel_workers_per_gather'), "
                           "current_setting('random_page_cost')")
            assert cursor.fetchone() == ("0", "1.1")  # the server's defaults are 2 and 4


def test_a_run_analyses_the_tables_whose_statistics_are_missing(two_accounts):
    def reltuples(table):
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE engine_alert")  # emptied: no statistics (reltuples -1) until analysed
    assert reltuples("engine_alert") < 0
    recompute_all(as_of=D)
    assert reltuples("engine_alert") >= 0
