"""Defence in depth for the night: an account whose evaluation raises — in Python, or in a statement that cannot
write its values — is left as it was and named on the run; every other account is evaluated exactly as in an
undisturbed night, the run completes, and recompute_coverage says so and exits 0."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import DataError

from accounts.models import Account, Opportunity
from engine import domain, statements
from engine.models import PendingAccount, RecomputeFailure, RecomputeRun
from engine.pipeline import MAX_FAILED_ACCOUNTS_PER_CHUNK
from engine.services import recompute_all
from tests.engine import nights
from tests.engine.nights import D, MARKED_WON_ON

pytestmark = pytest.mark.django_db
BAD = "N005"


def _undisturbed(leave_out: frozenset[str]) -> dict:
    """What an undisturbed night leaves for every account but `leave_out`, on the same data built again."""
    nights.wipe()
    nights.build(marked=BAD)
    run = recompute_all(as_of=D, chunk_size=5)
    assert run.failed_accounts == 0
    return nights.snapshot(leave_out=leave_out)


def _raising_for_the_marked_account(function):
    def wrapper(*args, **kwargs):
        facts = args[0] if args else None
        first_won_on = kwargs.get("first_won_on", getattr(facts, "first_won_on", None))
        if first_won_on == MARKED_WON_ON:
            raise ValueError("a value the engine cannot compute")
        return function(*args, **kwargs)
    return wrapper


@pytest.mark.parametrize("step", ["decide_state", "next_change_on"])
def test_an_account_whose_evaluation_raises_is_recorded_and_the_night_completes_for_the_others(monkeypatch, step):
    nights.build(marked=BAD)
    bad = Account.objects.get(external_id=BAD)
    before = (bad.state, bad.state_as_of)
    with monkeypatch.context() as patched:
        patched.setattr(domain, step, _raising_for_the_marked_account(getattr(domain, step)))
        run = recompute_all(as_of=D, chunk_size=5)
    assert (run.status, run.failed_accounts) == (RecomputeRun.Status.COMPLETED, 1)
    assert run.accounts_evaluated == Account.objects.count() - 1
    failure = RecomputeFailure.objects.get(run=run)
    assert (failure.account_id, failure.external_id) == (bad.id, BAD)
    assert failure.error == "ValueError: a value the engine cannot compute"
    bad.refresh_from_db()
    assert (bad.state, bad.state_as_of) == before  # left as it was: no state, rows, alerts or evaluation written
    assert not bad.coverage_rows.exists() and not bad.alerts.exists() and not bad.transitions.exists()
    assert PendingAccount.objects.filter(account_id=bad.id).exists()  # the next night tries it again
    disturbed = nights.snapshot(leave_out=frozenset({BAD}))
    assert disturbed == _undisturbed(frozenset({BAD}))


def test_an_account_whose_values_a_statement_cannot_write_is_recorded_and_the_night_completes(monkeypatch):
    nights.build(marked=BAD)
    bad_id = Account.objects.get(external_id=BAD).id
    write_evaluations = statements.write_evaluations

    def failing_for_one_account(rows, **kwargs):
        if any(row.account_id == bad_id for row in rows):
            raise DataError("value out of range for type date")
        return write_evaluations(rows, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(statements, "write_evaluations", failing_for_one_account)
        run = recompute_all(as_of=D, chunk_size=10)
    assert (run.status, run.failed_accounts) == (RecomputeRun.Status.COMPLETED, 1)
    failure = RecomputeFailure.objects.get(run=run)
    assert (failure.account_id, failure.external_id, failure.error) == (
        bad_id, BAD, "DataError: value out of range for type date")
    assert not Account.objects.get(id=bad_id).coverage_rows.exists()  # its chunk's part was rolled back
    assert nights.snapshot(leave_out=frozenset({BAD})) == _undisturbed(frozenset({BAD}))


def test_an_open_deal_amount_too_large_for_an_alert_fails_only_its_account(require_postgres):
    """A realistic overflow: two open deals of 6 × 10¹⁸ yen each are within their column, but their sum, the
    alert's deal amount, is beyond a bigint — PostgreSQL refuses the alerts' insert for the whole chunk."""
    nights.build(marked=BAD)
    bad = Account.objects.get(external_id=BAD)
    for n in range(2):
        Opportunity.objects.create(external_id=f"HUGE-{n}", account=bad, opened_on=D, amount=6 * 10**18,
                                   status="open")
    run = recompute_all(as_of=D, chunk_size=10)
    assert (run.status, run.failed_accounts) == (RecomputeRun.Status.COMPLETED, 1)
    failure = RecomputeFailure.objects.get(run=run)
    assert failure.account_id == bad.id and "out of range" in failure.error
    assert nights.snapshot(leave_out=frozenset({BAD})) == _undisturbed(frozenset({BAD}))


def test_the_command_says_how_many_accounts_failed_lists_ten_and_exits_0(monkeypatch):
    nights.build()
    ids = sorted(Account.objects.values_list("id", flat=True))[:12]
    decide_state = domain.decide_state
    failing = iter(range(10**6))
    calls = {"n": 0}

    def raising_for_twelve(facts, *args):
        calls["n"] += 1
        if calls["n"] <= 12:
            raise ArithmeticError(f"cannot compute #{next(failing)}")
        return decide_state(facts, *args)

    monkeypatch.setattr(domain, "decide_state", raising_for_twelve)
    out = io.StringIO()
    call_command("recompute_coverage", "--as-of", D.isoformat(), "--chunk-size", "100", stdout=out)
    text = out.getvalue()
    assert "completed with 12 failed accounts" in text
    listed = [line for line in text.splitlines() if line.startswith("  account ")]
    assert len(listed) == 10
    assert listed[0].startswith(f"  account {ids[0]} (N000): ArithmeticError: cannot compute #0")


def test_a_chunk_with_more_failed_accounts_than_the_limit_fails_its_run(monkeypatch):
    nights.build(accounts=MAX_FAILED_ACCOUNTS_PER_CHUNK + 2)
    monkeypatch.setattr(domain, "decide_state", lambda *a: (_ for _ in ()).throw(ValueError("broken rule")))
    with pytest.raises(Exception, match="accounts failed"):
        recompute_all(as_of=D, chunk_size=1000)
    run = RecomputeRun.objects.get()
    assert run.status == RecomputeRun.Status.FAILED and "broken rule" in run.error
    assert not RecomputeFailure.objects.exists()
