"""The what-if's SQL twin of the state rules (standards.whatif_sql.states_may_move) held to engine.domain on random
accounts, stored states and thresholds: it lists every account whose state, state_since or initial flag the night's
rules (engine.pipeline.read_facts, domain.decide_state, domain.advance_state) would move as of D, and no other but
those never evaluated (docs/rules.md §2–§3). PostgreSQL: the what-if reads it only for incremental nights."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Account
from core.choices import State
from engine import domain
from engine.models import PendingAccount
from engine.pipeline import decide_step, read_facts
from engine.records import NO_DEALS, NO_LEADS
from engine.statements import AccountSelection
from profiles.scoring import load_active_profile_specs
from tests.engine.test_property import D0, _store, account as account_strategy

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="read for incremental nights: PostgreSQL")]

thresholds_strategy = st.builds(
    domain.Thresholds, churn_after_days=st.integers(1, 400), onboarding_days=st.integers(1, 200),
    loyal_min_tenure_days=st.integers(1, 800), loyal_min_won_deals=st.integers(1, 3),
    hot_lead_min_score=st.integers(0, 101), high_potential_min_fit=st.integers(0, 101))
stored_strategy = st.tuples(st.sampled_from(["", *State.values]),
                            st.one_of(st.none(), st.integers(-60, 0).map(lambda n: D0 + dt.timedelta(days=n))),
                            st.booleans())


def _python_moved(ids: list[int], as_of: dt.date, thresholds: domain.Thresholds, profiles) -> set[int]:
    """The accounts whose state step the night's own reads and rules move (engine.pipeline.decide_step)."""
    facts = read_facts(AccountSelection(ids=tuple(ids)), as_of, profiles, failed={})
    moved = set()
    for row in facts.accounts:
        _facts, _rule, step = decide_step(row, facts.deals.get(row.id, NO_DEALS), facts.leads.get(row.id, NO_LEADS),
                                          thresholds, as_of)
        if step[:3] != (row.state, row.state_since, row.state_initial):
            moved.add(row.id)
    return moved


def _assert_twin(accounts, stored, thresholds, offset, industries=None) -> None:
    from standards.whatif_sql import states_may_move

    Account.objects.all().delete()
    created = _store(accounts)
    for account, (state, since, initial), industry in zip(created, stored, industries or [""] * len(stored)):
        Account.objects.filter(pk=account.pk).update(state=state, state_since=since, state_initial=initial,
                                                     industry=industry)
    PendingAccount.objects.all().delete()
    ids = [a.pk for a in created]
    as_of = D0 + dt.timedelta(days=offset)
    profiles = load_active_profile_specs()
    listed = set(states_may_move(ids, as_of, thresholds, profiles))
    moved = _python_moved(ids, as_of, thresholds, profiles)
    never_evaluated = {a.pk for a, (state, since, _i) in zip(created, stored) if not state or since is None}
    # Listed besides: those never evaluated, and those whose fit the SQL leaves to Python (values it might read
    # differently: here, the industry with a non-ASCII letter).
    left_to_python = {a.pk for a, industry in zip(created, industries or []) if not industry.isascii()}
    assert moved | never_evaluated <= listed <= moved | never_evaluated | left_to_python


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(accounts=st.lists(account_strategy, min_size=1, max_size=6), stored=st.lists(stored_strategy, min_size=6,
       max_size=6), thresholds=thresholds_strategy, offset=st.integers(-5, 45))
def test_the_sql_states_are_the_rules_states(accounts, stored, thresholds, offset):
    _assert_twin(accounts, stored, thresholds, offset)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(accounts=st.lists(account_strategy, min_size=1, max_size=6), stored=st.lists(stored_strategy, min_size=6,
       max_size=6), thresholds=thresholds_strategy, industries=st.lists(st.sampled_from(["it", "retail", "naïve"]),
                                                                       min_size=6, max_size=6))
def test_with_an_active_icp_profile_the_fit_is_the_nights(accounts, stored, thresholds, industries):
    from profiles.services import profile_save

    if not load_active_profile_specs():
        profile_save(name="Makers", rescore=False,
                     criteria=[{"attribute": "industry", "op": "eq", "value": "it", "weight": 80}])
    _assert_twin(accounts, stored, thresholds, 0, industries)


def test_every_edge_of_the_state_rules_is_where_the_rules_put_it():
    """Accounts on both sides of each dated edge and threshold (onboarding, churn, tenure, contract end, a deal or a
    lead opening and closing on D, a lead score at the hot-lead threshold), each stored in the state the rules give
    it as of D: the SQL lists none of them — a twin off by a day at any edge would list that account."""
    from standards.whatif_sql import states_may_move

    def deal(days: int, *, after: int | None = 0, status: str = "won", contract_days: int | None = None) -> dict:
        return {"opened": D0 + dt.timedelta(days=days), "close_after": after, "status": status,
                "contract_days": contract_days}

    def lead(days: int, *, after: int | None = None, score: int | None = 80) -> dict:
        return {"created": D0 + dt.timedelta(days=days), "close_after": after, "score": score}

    thresholds = domain.Thresholds(churn_after_days=365, onboarding_days=183, loyal_min_tenure_days=730,
                                   loyal_min_won_deals=3, hot_lead_min_score=70, high_potential_min_fit=0)
    accounts = []
    for k in (0, 1, 182, 183, 184, 364, 365, 366, 729, 730, 731):
        accounts.append({"is_target": True, "deals": [deal(-k)], "leads": [], "touches": []})
        accounts.append({"is_target": True, "deals": [deal(-k), deal(-k + 1), deal(-k + 2)], "leads": [], "touches": []})
    for end in (-1, 0, 1):
        accounts.append({"is_target": False, "deals": [deal(-400, contract_days=400 + end)], "leads": [], "touches": []})
    for days, after in ((0, None), (1, None), (-10, 10), (-10, 11), (-10, 9)):
        accounts.append({"is_target": False, "deals": [deal(days, after=after, status="lost")], "leads": [],
                         "touches": []})
        accounts.append({"is_target": True, "deals": [], "leads": [lead(days, after=after)], "touches": []})
    for score in (None, 69, 70):
        accounts.append({"is_target": False, "deals": [], "leads": [lead(-3, score=score)], "touches": []})
    Account.objects.all().delete()
    created = _store(accounts)
    ids = [a.pk for a in created]
    facts = read_facts(AccountSelection(ids=tuple(ids)), D0, [], failed={})
    for row in facts.accounts:
        _facts, _rule, step = decide_step(row, facts.deals.get(row.id, NO_DEALS), facts.leads.get(row.id, NO_LEADS),
                                          thresholds, D0)
        Account.objects.filter(pk=row.id).update(state=step.state, state_since=D0 - dt.timedelta(days=5))
    assert len(set(Account.objects.values_list("state", flat=True))) >= 7  # the edges reach most states
    assert states_may_move(ids, D0, thresholds, []) == []
