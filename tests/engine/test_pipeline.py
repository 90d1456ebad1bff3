"""The SQL path of the nightly pipeline against a database: states, coverage rows, alerts, handoffs, reruns."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from contacts.models import Touch
from contacts.services import touch_log
from core.choices import Role
from dashboards.models import DailySnapshot
from engine.models import Alert, CoverageRow, RecomputeRun
from engine.services import RecomputeRefused, recompute_accounts, recompute_all
from handoffs.models import Handoff
from segments.models import StateThresholds, StateTransition
from standards.models import Requirement
from tests.factories import AccountFactory, LeadFactory, OpportunityFactory, TouchFactory

pytestmark = pytest.mark.django_db
D = dt.date(2026, 7, 20)
JST = dt.timezone(dt.timedelta(hours=9))


def days(n):
    return dt.timedelta(days=n)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=JST)


def add_touch(account, day, kind="human", role="sales", hour=10):
    return TouchFactory(account=account, occurred_at=at(day, hour), occurred_on=day, kind=kind, performer_role=role)


def rows(account):
    return {r.requirement: r for r in CoverageRow.objects.filter(account=account)}


def test_a_negotiating_account_without_touches_is_under_covered_and_alerted_to_its_sales_owner(sales):
    account = AccountFactory(owner_sales=sales)
    OpportunityFactory(account=account, opened_on=D - days(3))
    recompute_all(as_of=D)
    account.refresh_from_db()
    assert (account.state, account.state_since, account.state_initial) == ("NEGOTIATION", D, True)
    row = rows(account)["human"]
    assert (row.counted, row.gap, row.status, row.assignee, row.due_on) == (0, 1, "under_covered", sales, None)
    alert = Alert.objects.get(account=account)
    assert (alert.status, alert.opened_on, alert.assignee, alert.responsible_role, alert.gap) == ("open", D, sales, "sales", 1)


def test_window_edges_are_counted_in_sql_as_in_the_rules():
    inside, outside = AccountFactory(), AccountFactory()
    for account, day in ((inside, D - days(6)), (outside, D - days(7))):
        OpportunityFactory(account=account, opened_on=D - days(30))
        add_touch(account, day)
    recompute_all(as_of=D)
    assert (rows(inside)["human"].counted, rows(inside)["human"].status, rows(inside)["human"].due_on) == (1, "due_soon", D + days(1))
    assert (rows(outside)["human"].counted, rows(outside)["human"].last_touch_on) == (0, D - days(7))


def test_a_utc_timestamp_late_in_the_evening_is_the_next_day_in_tokyo():
    account = AccountFactory()
    OpportunityFactory(account=account, opened_on=D - days(30))
    # 2026-07-20 15:30 UTC is 2026-07-21 00:30 in Tokyo: not seen as of 2026-07-20.
    touch, _ = touch_log(actor=None, account=account, kind="human", performer_role=Role.SALES,
                         occurred_at=dt.datetime(2026, 7, 20, 15, 30, tzinfo=dt.timezone.utc))
    assert touch.occurred_on == dt.date(2026, 7, 21)
    recompute_all(as_of=D)
    assert rows(account)["human"].counted == 0
    recompute_all(as_of=D + days(1))
    assert rows(account)["human"].counted == 1


def test_a_naive_timestamp_is_business_local_time():
    account = AccountFactory()
    touch, _ = touch_log(actor=None, account=account, kind="human", performer_role=Role.SALES,
                         occurred_at=dt.datetime(2026, 7, 20, 23, 30))
    assert touch.occurred_on == dt.date(2026, 7, 20)


def test_the_executive_requirement_counts_only_executive_touches(csm):
    account = AccountFactory(owner_csm=csm)
    for k in range(3):
        OpportunityFactory(account=account, status="won", opened_on=D - days(900 - k), closed_on=D - days(800 - 300 * k))
    add_touch(account, D - days(3), role="csm")
    recompute_all(as_of=D)
    account.refresh_from_db()
    assert account.state == "LOYAL"
    r = rows(account)
    assert (r["human"].status, r["executive"].status, r["executive"].assignee) == ("covered", "under_covered", csm)
    add_touch(account, D - days(100), role="executive")
    recompute_all(as_of=D)
    assert rows(account)["executive"].status == "covered"


def test_grace_follows_a_transition_but_not_the_first_classification():
    account = AccountFactory()
    LeadFactory(account=account, created_on=D - days(60), score=10)
    recompute_all(as_of=D - days(1))
    assert Account.objects.get(pk=account.pk).state == "LEAD"
    assert rows(account)["digital"].status == "under_covered"  # initial: no grace
    OpportunityFactory(account=account, opened_on=D)
    recompute_all(as_of=D)
    account.refresh_from_db()
    assert (account.state, account.state_since, account.state_initial) == ("NEGOTIATION", D, False)
    assert rows(account)["human"].status == "grace"
    assert Alert.objects.get(account=account, requirement="digital").resolution == "state_changed"
    recompute_all(as_of=D + days(6))
    assert rows(account)["human"].status == "under_covered"


def test_a_transition_records_the_rule_and_facts_and_creates_one_handoff(inside_sales, sales):
    account = AccountFactory(owner_inside_sales=inside_sales, owner_sales=sales)
    LeadFactory(account=account, created_on=D - days(10), score=80)
    recompute_all(as_of=D - days(1))
    assert Handoff.objects.count() == 0  # the first classification hands nothing off
    OpportunityFactory(account=account, opened_on=D)
    recompute_all(as_of=D)
    transition = StateTransition.objects.filter(account=account).order_by("-id").first()
    assert (transition.from_state, transition.to_state, transition.rule) == ("HOT_LEAD", "NEGOTIATION", "negotiation")
    assert transition.facts["has_open_opportunity"] is True
    handoff = Handoff.objects.get(account=account)
    assert (handoff.from_role, handoff.to_role, handoff.assignee, handoff.status, handoff.created_on) == (
        "inside_sales", "sales", sales, "pending", D)
    # Monday 2026-07-20 is Marine Day: the 8 business hours run on Tuesday 09:00–17:00.
    assert handoff.due_at.astimezone(JST) == dt.datetime(2026, 7, 21, 17, 0, tzinfo=JST)
    recompute_all(as_of=D)
    assert Handoff.objects.count() == 1


def test_a_new_handoff_supersedes_a_pending_one():
    account = AccountFactory()
    LeadFactory(account=account, created_on=D - days(10), score=10)
    recompute_all(as_of=D - days(2))
    LeadFactory(account=account, created_on=D - days(1), score=90)
    recompute_all(as_of=D - days(1))  # LEAD → HOT_LEAD
    OpportunityFactory(account=account, opened_on=D)
    recompute_all(as_of=D)  # HOT_LEAD → NEGOTIATION
    assert list(Handoff.objects.order_by("id").values_list("to_state", "status")) == [
        ("HOT_LEAD", "superseded"), ("NEGOTIATION", "pending")]


def test_alert_lifecycle_across_recomputes():
    account = AccountFactory()
    OpportunityFactory(account=account, opened_on=D - days(30))
    recompute_all(as_of=D)
    first = Alert.objects.get(account=account)
    recompute_all(as_of=D + days(1))
    first.refresh_from_db()
    assert (first.status, first.changed_on, Alert.objects.count()) == ("open", D, 1)  # nothing moved: not rewritten
    add_touch(account, D + days(2))
    recompute_all(as_of=D + days(2))
    first.refresh_from_db()
    assert (first.status, first.resolved_on, first.resolution, first.gap) == ("resolved", D + days(2), "covered", 1)
    recompute_all(as_of=D + days(9))  # the touch left the window: a NEW alert opens, the old stays resolved
    assert Alert.objects.filter(account=account, status="open").exclude(pk=first.pk).get().opened_on == D + days(9)
    first.refresh_from_db()
    assert first.status == "resolved"


def test_a_requirement_with_several_performer_roles_counts_the_touches_of_each_of_them_together():
    account = AccountFactory()
    OpportunityFactory(account=account, opened_on=D - days(30))
    Requirement.objects.filter(standard__state="NEGOTIATION", code="human").update(
        min_count=2, performer_roles=["sales", "executive"])
    add_touch(account, D - days(1), role="sales")
    add_touch(account, D - days(2), role="executive")
    add_touch(account, D - days(3), role="csm")  # not a performer of this requirement
    recompute_all(as_of=D)
    row = rows(account)["human"]
    assert (row.counted, row.gap, row.status, row.last_touch_on) == (2, 0, "covered", D - days(1))


def test_removing_a_requirement_resolves_its_alerts_as_standard_changed():
    account = AccountFactory()
    OpportunityFactory(account=account, opened_on=D - days(30))
    recompute_all(as_of=D)
    Requirement.objects.filter(standard__state="NEGOTIATION").delete()
    recompute_all(as_of=D + days(1))
    assert Alert.objects.get(account=account).resolution == "standard_changed"
    assert not CoverageRow.objects.filter(account=account).exists()


def test_rerunning_the_same_date_changes_nothing():
    account = AccountFactory()
    LeadFactory(account=account, created_on=D - days(10), score=80)
    recompute_all(as_of=D)
    snapshot = lambda: (  # noqa: E731
        list(Account.objects.values_list("state", "state_since", "state_initial")),
        list(CoverageRow.objects.values_list("requirement", "counted", "gap", "status", "due_on")),
        list(Alert.objects.values_list("id", "status", "opened_on", "gap")),
        StateTransition.objects.count(), Handoff.objects.count(),
    )
    before = snapshot()
    run = recompute_all(as_of=D)
    assert snapshot() == before
    assert (run.alerts_opened, run.alerts_resolved, run.transitions) == (0, 0, 0)


def test_an_earlier_as_of_date_is_refused_with_a_clear_error():
    recompute_all(as_of=D)
    with pytest.raises(RecomputeRefused, match="earlier than the latest completed recompute"):
        recompute_all(as_of=D - days(1))
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("recompute_coverage", "--as-of", (D - days(1)).isoformat(), stderr=err)
    assert exc.value.returncode == 1


def test_logging_a_touch_re_evaluates_the_account_and_closes_its_alert(sales):
    account = AccountFactory(owner_sales=sales)
    OpportunityFactory(account=account, opened_on=dt.date(2020, 1, 1))
    from core.timeutil import business_today

    today = business_today()
    recompute_all(as_of=today)
    assert Alert.objects.get(account=account).status == "open"
    touch_log(actor=sales, account=account, kind="human", channel="phone")
    alert = Alert.objects.get(account=account)
    assert (alert.status, alert.resolution) == ("resolved", "covered")
    run = recompute_all(as_of=today)  # the nightly run for the same date finds nothing more to do
    assert (run.alerts_opened, run.alerts_resolved) == (0, 0)


def test_a_touch_logged_after_the_night_flags_its_evaluation_until_the_next_night_and_the_figures_count_it(sales):
    from dashboards.selectors import coverage_figures
    from engine.models import AccountEvaluation

    account = AccountFactory(owner_sales=sales)
    LeadFactory(account=account, created_on=D - days(5), score=10)
    add_touch(account, D - days(40))
    quiet = AccountFactory()
    recompute_all(as_of=D)
    assert not AccountEvaluation.objects.filter(after_night=True).exists()
    touch_log(actor=sales, account=account, kind="human", occurred_at=at(D + days(1)))  # logged after the night
    evaluation = AccountEvaluation.objects.get(account=account)
    assert (evaluation.after_night, evaluation.last_touch_on) == (True, D + days(1))
    assert not AccountEvaluation.objects.get(account=quiet).after_night
    # As of D the touch is not seen; the one 40 days before D is, within 90 days and not within 30.
    breadth = coverage_figures()["breadth"]
    assert (breadth["touched_30d"], breadth["touched_90d"]) == (0, 1)
    recompute_all(as_of=D + days(1))  # the next night evaluates it again, as of its own date
    evaluation.refresh_from_db()
    assert (evaluation.after_night, evaluation.last_touch_on) == (False, D + days(1))
    breadth = coverage_figures()["breadth"]
    assert (breadth["touched_30d"], breadth["touched_90d"]) == (1, 1)


def test_a_touch_logged_for_a_date_before_the_latest_recompute_does_not_re_evaluate():
    account = AccountFactory()
    OpportunityFactory(account=account, opened_on=D - days(30))
    recompute_all(as_of=D + days(400))
    assert recompute_accounts(account_ids=[account.pk], as_of=D) is False


def test_a_chunk_reads_a_fixed_number_of_queries_whatever_its_size():
    from profiles.models import AnalysisRefresh

    def queries_for(n):
        Account.objects.all().delete()
        RecomputeRun.objects.all().delete()
        DailySnapshot.objects.all().delete()
        AnalysisRefresh.objects.all().delete()  # the run queues one refresh of the ICP analyses each time
        for _ in range(n):
            account = AccountFactory()
            OpportunityFactory(account=account, opened_on=D - days(30))
            LeadFactory(account=account, created_on=D - days(30))
            add_touch(account, D - days(1))
        with CaptureQueriesContext(connection) as ctx:
            recompute_all(as_of=D, chunk_size=1000)
        return len(ctx.captured_queries)

    assert queries_for(5) == queries_for(50)


def test_thresholds_changed_by_a_manager_take_effect_on_the_next_recompute():
    account = AccountFactory()
    LeadFactory(account=account, created_on=D - days(10), score=60)
    recompute_all(as_of=D)
    assert Account.objects.get(pk=account.pk).state == "LEAD"
    StateThresholds.objects.filter(id=1).update(hot_lead_min_score=60)
    recompute_all(as_of=D + days(1))
    assert Account.objects.get(pk=account.pk).state == "HOT_LEAD"


def test_exports_have_the_interface_columns(tmp_path, sales):
    account = AccountFactory(external_id="=HYPERLINK", owner_sales=sales)
    OpportunityFactory(account=account, opened_on=D - days(3))
    recompute_all(as_of=D)
    out = tmp_path / "c.csv"
    call_command("export_coverage", "--output", str(out), stdout=io.StringIO())
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ("account_external_id,state,requirement,kind,min_count,window_days,counted,gap,status,"
                        "last_touch_on,due_on,responsible_role,assignee")
    assert lines[1] == "'=HYPERLINK,NEGOTIATION,human,human,1,7,0,1,under_covered,,,sales,sora"
    call_command("export_alerts", "--output", str(out), stdout=io.StringIO())
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "account_external_id,state,requirement,status,opened_on,resolved_on,resolution,responsible_role,assignee,gap"
    assert lines[1] == "'=HYPERLINK,NEGOTIATION,human,open,2026-07-20,,,sales,sora,1"
    call_command("export_handoffs", "--output", str(out), stdout=io.StringIO())
    assert out.read_text(encoding="utf-8").splitlines()[0] == (
        "account_external_id,rule,from_state,to_state,from_role,to_role,created_on,status,assignee,due_at,reason")


def test_touches_are_counted_per_kind_so_a_digital_touch_does_not_cover_a_human_requirement():
    account = AccountFactory()
    OpportunityFactory(account=account, opened_on=D - days(30))
    add_touch(account, D, kind="digital")
    recompute_all(as_of=D)
    assert rows(account)["human"].counted == 0
    assert Touch.objects.count() == 1


def test_an_alert_carries_the_parts_of_todays_priority_and_they_follow_the_account(sales):
    """engine.worklist reads state weight, fell-due date, ICP fit and open deal size off the alert."""
    account = AccountFactory(owner_sales=sales)
    OpportunityFactory(account=account, opened_on=D - days(30), amount=1_000)
    OpportunityFactory(account=account, opened_on=D - days(30), amount=2_000)
    OpportunityFactory(account=account, opened_on=D - days(400), closed_on=D - days(300), status="lost", amount=9_000_000)
    add_touch(account, D - days(10))  # human window 7 days: fell due on D - 3
    recompute_all(as_of=D)
    alert = Alert.objects.get(account=account, status="open")
    assert (alert.state, alert.state_weight, alert.fell_due_on, alert.deal_amount) == ("NEGOTIATION", 0, D - days(3), 3_000)

    OpportunityFactory(account=account, opened_on=D, amount=500)  # a bigger open pipeline moves the alert up
    recompute_all(as_of=D + days(1))
    alert.refresh_from_db()
    assert (alert.status, alert.deal_amount, alert.fell_due_on) == ("open", 3_500, D - days(3))


def test_an_alert_without_a_counting_touch_fell_due_the_day_it_opened(sales):
    account = AccountFactory(owner_sales=sales)
    OpportunityFactory(account=account, opened_on=D - days(3))
    recompute_all(as_of=D)
    recompute_all(as_of=D + days(2))
    alert = Alert.objects.get(account=account, status="open")
    assert (alert.opened_on, alert.fell_due_on) == (D, D)


def test_a_quiet_night_does_not_rewrite_coverage_rows_whose_figures_did_not_move():
    account = AccountFactory()
    OpportunityFactory(account=account, opened_on=D - days(3))
    recompute_all(as_of=D)
    row = rows(account)["human"]
    recompute_all(as_of=D + days(1))
    again = rows(account)["human"]
    assert (again.pk, again.as_of, again.status, again.gap) == (row.pk, D, "under_covered", 1)
    add_touch(account, D + days(2))
    recompute_all(as_of=D + days(2))
    moved = rows(account)["human"]
    assert (moved.pk, moved.as_of, moved.counted, moved.last_touch_on) == (row.pk, D + days(2), 1, D + days(2))


def test_a_finished_run_refreshes_the_icp_analyses_once_it_commits(django_capture_on_commit_callbacks):
    from profiles.models import AnalysisRefresh, ProfileAnalysis
    from profiles.services import profile_save

    profile_save(name="Makers", rescore=False,
                 criteria=[{"attribute": "industry", "op": "eq", "value": "manufacturing", "weight": 100}])
    account = AccountFactory(industry="manufacturing")  # the run scores it: tier A
    OpportunityFactory(account=account, opened_on=D - days(30))
    add_touch(account, D - days(1))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = recompute_all(as_of=D)
    refresh = AnalysisRefresh.objects.get()
    assert (refresh.reason, refresh.status, refresh.created_by) == ("nightly", AnalysisRefresh.Status.PENDING, None)
    assert len(callbacks) == 1  # the refresh starts only when the run's last step has committed
    callbacks[0]()  # Celery runs eagerly in tests: the refresh runs here
    refresh.refresh_from_db()
    assert refresh.status == AnalysisRefresh.Status.SUCCEEDED
    breadth = ProfileAnalysis.objects.get(kind=ProfileAnalysis.Kind.BREADTH)
    assert breadth.as_of == run.as_of == D  # the figures describe the run that just finished
    assert breadth.data["total"][1:] == [1, 1, 1]  # one tier A target, touched yesterday
    assert set(ProfileAnalysis.objects.values_list("kind", flat=True)) == {"review", "learn", "breadth", "tiers"}


def test_a_run_finished_twice_or_a_failed_run_queues_no_second_refresh(django_capture_on_commit_callbacks):
    from engine.services import recompute_run_finish
    from profiles.models import AnalysisRefresh

    AccountFactory()
    with django_capture_on_commit_callbacks(execute=False):
        run = recompute_all(as_of=D)
        recompute_run_finish(run_id=run.id)  # a redelivered finish task: the run is already complete
    assert AnalysisRefresh.objects.count() == 1
    AnalysisRefresh.objects.all().delete()
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=False):
        from unittest import mock

        with mock.patch("engine.services.recompute_chunk", side_effect=RuntimeError("worker lost")):
            recompute_all(as_of=D + days(1), full=True)
    assert not AnalysisRefresh.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_hold_two_chunks_of_one_run_at_once_but_never_the_same_chunk(require_postgres):
    """A chunk locks its own row only: with the run's row locked too, a second worker would wait for the first."""
    import threading

    from django.db import DatabaseError, connection as main_connection, transaction

    from engine.services import lock_chunk, recompute_run_start
    from tests.factories import AccountFactory

    AccountFactory.create_batch(2)
    run = recompute_run_start(as_of=dt.date(2026, 7, 1), chunk_size=1)
    first, second = run.chunks.order_by("index").values_list("id", flat=True)[:2]

    def try_lock(chunk_id: int, outcome: list) -> None:
        from django.db import connection

        try:
            with transaction.atomic():
                lock_chunk(chunk_id, nowait=True)
            outcome.append("locked")
        except DatabaseError:
            outcome.append("busy")
        finally:
            connection.close()

    other, same = [], []
    with transaction.atomic():
        lock_chunk(first)
        for chunk_id, outcome in ((second, other), (first, same)):
            worker = threading.Thread(target=try_lock, args=(chunk_id, outcome))
            worker.start()
            worker.join(timeout=20)
    assert main_connection.vendor == "postgresql"
    assert (other, same) == (["locked"], ["busy"])
