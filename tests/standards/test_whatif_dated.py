"""The what-if decides in Python only the re-evaluated accounts whose state may move (standards.whatif_sql
.next_night_accounts): those with a change mark, and those without one whose state a date alone moves tomorrow — an
onboarding window ending, a contract ending, a lead closing on the day. The rest keep their state, and the next
night must agree (docs/rules.md §3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from accounts.models import Account, Lead, Opportunity
from contacts.models import Touch
from core.choices import Role, State
from engine.models import PendingAccount
from engine.pipeline import EngineConfig
from engine.services import recompute_all
from tests.engine import nights
from tests.next_night import night_rolled_back
from tests.standards.test_whatif import D, D1, assert_contract, with_requirement

pytestmark = pytest.mark.django_db


def _account(external_id: str, **values) -> Account:
    return Account.objects.create(external_id=external_id, name=external_id, **values)


def _won(account: Account, *, closed_on: dt.date, contract_end: dt.date) -> None:
    Opportunity.objects.create(external_id=f"{account.external_id}-W", account=account, status="won",
                               opened_on=closed_on - dt.timedelta(days=30), closed_on=closed_on,
                               contract_end=contract_end)


def _touch(account: Account, *, on: dt.date, kind: str) -> None:
    Touch.objects.create(account=account, external_id=f"{account.external_id}-T{on}", kind=kind,
                         performer_role=Role.SALES, occurred_on=on,
                         occurred_at=dt.datetime.combine(on, dt.time(3), tzinfo=dt.timezone.utc))


@pytest.fixture
def dated_night() -> dict[str, int]:
    """A night as of D over varied accounts and four made to measure, with no change after it (no change marks):
    - ONB: onboarding since a deal won 182 days before D; tomorrow its onboarding (183 days) is over: ACTIVE;
    - END: a customer whose contract ends on D, its deal won 400 days before: tomorrow CHURNED;
    - LEADCLOSE: a hot lead whose lead closes tomorrow: tomorrow a target without a lead;
    - COV: a churned customer whose one digital touch leaves its 30-day window tomorrow — due, its state unmoved."""
    nights.seed_configuration()
    nights.build(accounts=16, seed=5)
    onb = _account("ONB", is_target=True)
    _won(onb, closed_on=D - dt.timedelta(days=182), contract_end=D + dt.timedelta(days=300))
    end = _account("END", is_target=True)
    _won(end, closed_on=D - dt.timedelta(days=400), contract_end=D)
    lead = _account("LEADCLOSE", is_target=True)
    Lead.objects.create(external_id="LEADCLOSE-L", account=lead, created_on=D - dt.timedelta(days=10),
                        closed_on=D1, status="open", score=90)
    cov = _account("COV", is_target=True)
    _won(cov, closed_on=D - dt.timedelta(days=500), contract_end=D - dt.timedelta(days=100))
    _touch(cov, on=D - dt.timedelta(days=29), kind="digital")
    recompute_all(as_of=D)
    return {a.external_id: a.id for a in (onb, end, lead, cov)}


def _states() -> dict[int, tuple]:
    return {row[0]: row[1:] for row in Account.objects.values_list("id", "state", "state_since", "state_initial")}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="incremental nights (and this plan) need PostgreSQL")
def test_only_accounts_whose_state_may_move_are_decided_and_the_others_keep_theirs(dated_night):
    from standards.whatif_sql import next_night_accounts

    assert not PendingAccount.objects.exists()
    ids = dated_night
    assert Account.objects.get(id=ids["ONB"]).state == State.ONBOARDING
    assert Account.objects.get(id=ids["END"]).state == State.ACTIVE
    assert Account.objects.get(id=ids["LEADCLOSE"]).state == State.HOT_LEAD
    evaluated, deciding = next_night_accounts(D1, EngineConfig.load().thresholds)
    assert {ids["ONB"], ids["END"], ids["LEADCLOSE"]} <= set(deciding) <= set(evaluated)
    assert ids["COV"] in set(evaluated) - set(deciding)

    before, after = _states(), night_rolled_back(D1, read=_states)
    moved = {account_id for account_id, state in after.items() if before[account_id] != state}
    assert {ids["ONB"], ids["END"], ids["LEADCLOSE"]} <= moved
    assert moved <= set(deciding)
    assert after[ids["ONB"]][0] == State.ACTIVE and after[ids["END"]][0] == State.CHURNED
    assert after[ids["LEADCLOSE"]][0] == State.TARGET_NO_LEAD
    assert after[ids["COV"]] == before[ids["COV"]]


def test_the_preview_counts_accounts_that_a_date_alone_moves_in_their_new_state(dated_night):
    # A new touch on one account (a change mark) besides the dates: both kinds of re-evaluated accounts at once.
    _touch(Account.objects.get(external_id="N003"), on=D1, kind="human")
    result = assert_contract({**with_requirement("ACTIVE", "human", window_days=7, min_count=2),
                              **with_requirement("CHURNED", "digital", window_days=45)})
    assert result["changed_states"] == ["ACTIVE", "CHURNED"]
    assert result["proposed"]["compliance_by_state"]["ACTIVE"]["accounts"] >= 2
