"""The nightly chunk's ICP fit (issue #3): computed set-based in SQL (profiles.fit_sql.best_fit_rows_sql) for the
accounts SQL reads exactly, by scoring.best_fit for the others; the stored fit, profile, tier and matched criteria
are always best_fit's, and a chunk runs a fixed number of queries whatever its size."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings

from accounts.models import Account
from core.choices import State
from dashboards.models import DailySnapshot
from engine import pipeline
from engine.models import Alert, CoverageRow, RecomputeRun
from engine.services import recompute_accounts, recompute_all
from profiles import fit_sql
from profiles.models import AnalysisRefresh, IcpProfile
from profiles.scoring import ATTRIBUTES, account_attributes, best_fit, load_active_profile_specs
from profiles.services import profile_save
from segments.models import StateTransition
from tests.factories import AccountFactory, LeadFactory, OpportunityFactory
from tests.profiles.test_rescoring import scenarios

pytestmark = pytest.mark.django_db
D = dt.date(2026, 7, 20)

# Values SQL might read differently from Python: full-width letters and spaces, accented capitals, ß, numbers
# written as text (and their neighbours that SQL reads exactly).
INEXACT_INDUSTRIES = ["ＩＴ", "\u3000IT", "ÉCOLE", "Straße", "1,000", " 100 ", "1e2", "Infinity", "it\t"]
EXACT_INDUSTRIES = ["it", " IT ", "Manufacturing", "東京都", "retail", "", "  "]
CRITERIA = [
    {"attribute": "industry", "op": "in", "value": ["IT", "manufacturing", "école", "100"], "weight": 5},
    {"attribute": "employees", "op": "between", "value": [100, 3000], "weight": 3},
    {"attribute": "listed", "op": "is_true", "weight": 2},
    {"attribute": "regions", "op": "contains_any", "value": ["関東", "Kansai"], "weight": 2},
    {"attribute": "revenue_growth_pct", "op": "gte", "value": "5.5", "weight": 1},
]


def _stored(ids=None):
    accounts = Account.objects.all() if ids is None else Account.objects.filter(id__in=ids)
    return {a.id: (a.icp_fit, a.icp_profile_id, a.icp_tier, list(a.icp_matched)) for a in accounts}


def _expected(specs, ids=None):
    accounts = Account.objects.all() if ids is None else Account.objects.filter(id__in=ids)
    result = {}
    for a in accounts:
        fit = best_fit(account_attributes({f: getattr(a, f) for f in ATTRIBUTES}), specs)
        result[a.id] = (fit.fit, fit.profile_id, fit.tier, list(fit.matched))
    return result


def _counting_best_fit(monkeypatch):
    calls = []

    def counted(attributes, specs):
        calls.append(attributes)
        return best_fit(attributes, specs)

    monkeypatch.setattr(pipeline, "best_fit", counted)
    return calls


def _accounts(n_plain: int, n_inexact: int):
    accounts = []
    for i in range(n_plain):
        accounts.append(AccountFactory(
            industry=EXACT_INDUSTRIES[i % len(EXACT_INDUSTRIES)], employees=[None, 50, 100, 3000, 3001][i % 5],
            listed=[None, True, False][i % 3], regions=[[], ["関東"], [" kansai "], ["北海道"]][i % 4],
            revenue_growth_pct=[None, Decimal("5.50"), Decimal("5.49")][i % 3]))
    for i in range(n_inexact):
        accounts.append(AccountFactory(
            industry=INEXACT_INDUSTRIES[i % len(INEXACT_INDUSTRIES)], employees=[100, None][i % 2],
            listed=True, regions=[["ＫＡＮＳＡＩ"], [100], ["関東"]][i % 3]))
    return accounts


def _profiles():
    profile_save(name="Bench", criteria=CRITERIA, tiers={"A": 80, "B": 40}, rescore=False)
    profile_save(name="Alt", criteria=CRITERIA[2:], tiers=None, rescore=False)


def test_the_nightly_fit_is_best_fit_for_plain_and_inexact_accounts(monkeypatch):
    _profiles()
    accounts = _accounts(20, 2 * len(INEXACT_INDUSTRIES))
    for a in accounts[::3]:
        OpportunityFactory(account=a, opened_on=D - dt.timedelta(days=30))
    specs = load_active_profile_specs()
    inexact = set(Account.objects.filter(fit_sql.inexact_condition(specs)).values_list("id", flat=True))
    assert 0 < len(inexact) < len(accounts)
    calls = _counting_best_fit(monkeypatch)
    recompute_all(as_of=D, chunk_size=7)
    assert _stored() == _expected(specs)
    assert len(calls) == len(inexact)  # only the accounts SQL might read differently are scored in Python
    # A second night finds nothing to change in the accounts.
    before = dict(Account.objects.values_list("id", "state_as_of"))
    recompute_all(as_of=D + dt.timedelta(days=1), chunk_size=7)
    assert dict(Account.objects.values_list("id", "state_as_of")) == before
    assert _stored() == _expected(specs)


def test_a_logged_touch_re_evaluates_the_fit_of_its_accounts_only(monkeypatch):
    _profiles()
    accounts = _accounts(6, 4)
    recompute_all(as_of=D)
    specs = load_active_profile_specs()
    Account.objects.filter(id__in=[a.id for a in accounts]).update(icp_fit=0, icp_profile=None, icp_tier="",
                                                                     icp_matched=[])
    chosen = [accounts[0].id, accounts[-1].id]  # one plain, one inexact, far apart
    assert recompute_accounts(account_ids=chosen, as_of=D)
    assert _stored(chosen) == _expected(specs, chosen)
    others = [a.id for a in accounts if a.id not in chosen]
    assert all(v == (0, None, "", []) for v in _stored(others).values())


def test_without_an_active_profile_no_account_is_scored(monkeypatch):
    _profiles()
    IcpProfile.objects.update(active=False)
    _accounts(5, 3)
    Account.objects.update(icp_fit=40, icp_tier="B", icp_matched=[1])
    calls = _counting_best_fit(monkeypatch)
    recompute_all(as_of=D)
    assert all(v == (0, None, "", []) for v in _stored().values())
    assert calls == []


def test_the_fit_decides_high_potential():
    _profiles()
    account = AccountFactory(industry="ＩＴ", employees=500, listed=True, regions=["関東"],
                             revenue_growth_pct=Decimal("6.00"))  # inexact industry, fit 100
    LeadFactory(account=account, created_on=D - dt.timedelta(days=10), score=10)
    recompute_all(as_of=D)
    account.refresh_from_db()
    assert account.icp_fit == 100 and account.icp_tier == "A"
    assert account.state == State.HIGH_POTENTIAL_LEAD


def test_a_chunk_with_an_active_profile_runs_a_fixed_number_of_queries():
    _profiles()

    def queries_for(n):
        for model in (Alert, CoverageRow, StateTransition, RecomputeRun, DailySnapshot, AnalysisRefresh, Account):
            model.objects.all().delete()
        for a in _accounts(n, max(1, n // 5)):
            OpportunityFactory(account=a, opened_on=D - dt.timedelta(days=30))
        with CaptureQueriesContext(connection) as ctx:
            recompute_all(as_of=D, chunk_size=1000)
        # (INSERTs are left out: SQLite splits a bulk insert in batches by its limit on parameters.)
        return len([q for q in ctx.captured_queries if not q["sql"].lstrip().startswith("INSERT")])

    assert queries_for(5) == queries_for(60)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(scenario=scenarios())
def test_the_nightly_chunk_stores_exactly_what_best_fit_computes(scenario):
    accounts, profiles = scenario
    for model in (Alert, CoverageRow, StateTransition, RecomputeRun, Account, IcpProfile):
        model.objects.all().delete()
    for i, values in enumerate(accounts):
        AccountFactory(external_id=f"x{i}", **values)
    for name, criteria, tiers in profiles:
        profile_save(name=name, criteria=criteria, tiers=tiers, rescore=False)
    specs = load_active_profile_specs()
    recompute_all(as_of=D, chunk_size=5)
    assert _stored() == _expected(specs)
