"""Set-based ICP analysis reads: the SQL form of the criteria agrees with profiles.scoring, and each figure is
one GROUP BY computed in the database."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import Account
from core.choices import State
from profiles.analysis import selectors as sel
from profiles import fit_sql
from profiles.scoring import (
    Criterion,
    ProfileSpec,
    account_attributes,
    criterion_matches,
    profile_fit,
)
from segments.models import StateTransition
from tests.factories import AccountFactory, OpportunityFactory, TouchFactory

pytestmark = pytest.mark.django_db

ACCOUNTS = [
    {"name": "A", "industry": " Manufacturing ", "employees": 1200, "listed": True,
     "revenue_growth_pct": Decimal("5.50"), "departments": ["Marketing", "sales"], "regions": ["関東"],
     "technologies": [], "prefecture": "東京都"},
    {"name": "B", "industry": "retail", "employees": 40, "listed": False, "departments": [],
     "regions": ["関西", "関東"], "technologies": ["Salesforce"], "prefecture": ""},
    {"name": "C", "industry": "", "employees": None, "listed": None, "departments": [" "], "regions": [],
     "technologies": ["salesforce ", "HubSpot"]},
    {"name": "D", "industry": "MANUFACTURING", "employees": 300, "listed": True, "annual_revenue": 5_000_000_000,
     "departments": ["it"], "regions": ["九州"], "technologies": ["hubspot"], "prefecture": "福岡県",
     "is_target": False},
    {"name": "E", "industry": "chemicals", "employees": 5000, "listed": False, "revenue_growth_pct": Decimal(-2),
     "departments": ["MARKETING"], "regions": ["関東"], "technologies": [], "prefecture": "東京都"},
]

CRITERIA = [
    ("industry", "eq", "manufacturing"), ("industry", "ne", "retail"), ("industry", "in", ["retail", "chemicals"]),
    ("industry", "not_in", ["retail"]), ("prefecture", "eq", "東京都"),
    ("employees", "gt", 300), ("employees", "gte", 300), ("employees", "lt", 300), ("employees", "lte", 40),
    ("employees", "between", [300, 1200]), ("employees", "eq", 40), ("employees", "ne", 40),
    ("employees", "in", [40, 5000]), ("employees", "not_in", [40]), ("revenue_growth_pct", "gte", "5.5"),
    ("revenue_growth_pct", "lt", 0), ("annual_revenue", "gte", 1_000_000_000),
    ("listed", "is_true", None), ("listed", "is_false", None), ("listed", "eq", "true"), ("listed", "ne", True),
    ("is_target", "is_true", None),
    ("departments", "contains", "marketing"), ("departments", "contains_any", ["it", "sales"]),
    ("departments", "in", ["MARKETING"]), ("departments", "not_in", ["marketing"]), ("departments", "ne", "it"),
    ("departments", "eq", "sales"), ("regions", "contains", "関東"), ("regions", "not_in", ["関東"]),
    ("technologies", "contains_any", ["salesforce"]), ("technologies", "contains", "hubspot"),
    ("departments", "gt", 1), ("listed", "gt", 1),
]


@pytest.fixture
def accounts():
    return [AccountFactory(state=State.LEAD, **fields) for fields in ACCOUNTS]


def _python_matches(criterion):
    return {a.name for a in Account.objects.all()
            if criterion_matches(criterion, account_attributes({f: getattr(a, f) for f in account_attributes({})}))}


@pytest.mark.parametrize(("attribute", "op", "value"), CRITERIA, ids=[f"{a}-{o}-{v}" for a, o, v in CRITERIA])
def test_every_criterion_matches_the_same_accounts_in_sql_as_in_python(accounts, attribute, op, value):
    criterion = Criterion(attribute, op, value, 1)
    in_sql = set(Account.objects.filter(fit_sql.criterion_condition(criterion)).values_list("name", flat=True))
    assert in_sql == _python_matches(criterion)


def test_the_fit_computed_in_sql_is_the_fit_of_the_scoring_module(accounts):
    spec = ProfileSpec(None, "p", tuple(Criterion(a, o, v, w) for (a, o, v), w in zip(CRITERIA, range(1, 100))))
    in_sql = dict(Account.objects.annotate(fit=fit_sql.fit_expression(spec)).values_list("name", "fit"))
    for account in Account.objects.all():
        fit, _ = profile_fit(account_attributes({f: getattr(account, f) for f in account_attributes({})}), spec)
        assert in_sql[account.name] == fit, account.name


YES_NO_TEXTS = ["y", " T ", "yes", "はい", "n", "F", "no", "いいえ", "maybe"]
YES_NO_CRITERIA = [
    ("domain", "eq", True), ("domain", "ne", False), ("domain", "in", [True]), ("domain", "not_in", [False]),
    ("domain", "is_true", None), ("domain", "is_false", None),
    ("listed", "eq", "y"), ("listed", "in", ["t"]), ("listed", "ne", "f"), ("listed", "eq", "n"),
]


@pytest.mark.parametrize(("attribute", "op", "value"), YES_NO_CRITERIA,
                         ids=[f"{a}-{o}-{v}" for a, o, v in YES_NO_CRITERIA])
def test_yes_no_words_read_the_same_in_sql_as_in_python(attribute, op, value):
    """Both read core.yesno: the single letters y/t and n/f are yes and no in SQL too."""
    for i, text in enumerate(YES_NO_TEXTS):
        AccountFactory(name=f"text {text}", domain=text, listed=None, state=State.LEAD)
        AccountFactory(name=f"flag {i}", domain="", listed=i % 2 == 0, state=State.LEAD)
    criterion = Criterion(attribute, op, value, 1)
    in_sql = set(Account.objects.filter(fit_sql.criterion_condition(criterion)).values_list("name", flat=True))
    assert in_sql == _python_matches(criterion)
    assert in_sql  # each of these criteria matches some account
    if (attribute, op) == ("domain", "is_true"):
        assert {"text y", "text  T "} <= in_sql


SPEC = ProfileSpec(1, "Manufacturers", (
    Criterion("industry", "eq", "manufacturing", 60), Criterion("employees", "gte", 300, 40),
), {"A": 80, "B": 50})


def test_review_counts_fit_tiers_and_criterion_hits_of_target_accounts(accounts, django_assert_max_num_queries):
    AccountFactory(name="out", industry="manufacturing", employees=1000, state=State.OUT_OF_SCOPE)
    AccountFactory(name="unclassified", industry="manufacturing", employees=1000, state="")
    with django_assert_max_num_queries(4):
        review = sel.profile_review(SPEC)
    # A: 60+40 = 100; B: 0; C: 0; D: 100; E: 40 (employees 5000).
    assert review.total == 5
    assert review.tiers == {"A": 2, "B": 0, "C": 3}
    assert [b.count for b in review.histogram] == [2, 0, 0, 0, 1, 0, 0, 0, 0, 2]
    assert [(h.hits, h.total) for h in review.hits] == [(2, 5), (3, 5)]
    assert [a["name"] for a in review.top[:3]] == ["A", "D", "E"]
    assert [a["name"] for a in review.bottom[:2]] == ["B", "C"]


def test_explanation_lists_points_got_and_missed(accounts):
    account = Account.objects.get(name="E")
    explanation = sel.account_explanation(account, SPEC)
    assert (explanation.fit, explanation.tier, explanation.got, explanation.total) == (40, "C", 40, 100)
    assert [(r.got, r.missed, r.account_value) for r in explanation.rows] == [(0, 60, "chemicals"), (40, 0, 5000)]


def _customer(name, state, wins=0, **fields):
    account = AccountFactory(name=name, state=state, **fields)
    for i in range(wins):
        OpportunityFactory(account=account, status="won", opened_on=dt.date(2024, 12, 1),
                           closed_on=dt.date(2025, 1, 1) + dt.timedelta(days=i))
    return account


def test_learning_compares_best_customers_with_all_targets(django_assert_max_num_queries):
    # Best: 3 loyal (2 manufacturers), 1 active with 2 wins (manufacturer). Not best: active with 1 win, 4 leads.
    _customer("L1", State.LOYAL, industry="manufacturing", departments=["marketing"], employees=500)
    _customer("L2", State.LOYAL, industry="manufacturing", departments=["marketing", "it"], employees=700)
    _customer("L3", State.LOYAL, industry="retail", employees=20)
    _customer("A1", State.ACTIVE, wins=2, industry="manufacturing", employees=1500)
    _customer("A2", State.ACTIVE, wins=1, industry="retail", employees=30)
    for i in range(4):
        AccountFactory(name=f"P{i}", state=State.LEAD, industry="retail" if i else "manufacturing", employees=10,
                       departments=["marketing"] if i == 0 else [])
    with django_assert_max_num_queries(12):
        learning = sel.best_customer_learning(active_min_wins=2, min_sample=2)
    assert (learning.best_total, learning.all_total) == (4, 9)
    rows = {(r.attribute, r.value): r for r in learning.rows}
    manufacturing = rows[("industry", "manufacturing")]
    # 3 of 4 best (75%) vs 4 of 9 targets (44.4%): lift 27/16.
    assert (manufacturing.best_count, manufacturing.all_count) == (3, 4)
    assert manufacturing.lift_display == 1.69
    marketing = rows[("departments", "marketing")]
    assert (marketing.best_count, marketing.all_count) == (2, 3)
    it = rows[("departments", "it")]
    assert it.lift is None  # one account: too few to tell
    band_300_999 = rows[("employees", 2)]
    assert (band_300_999.best_count, band_300_999.all_count) == (2, 2)
    suggested = [s.criterion for s in learning.suggestions]
    assert {"attribute": "industry", "op": "in", "value": ["manufacturing"], "weight": 17} in suggested
    assert all(c["attribute"] != "departments" or c["value"] != "it" for c in suggested)

    with_any_active = sel.best_customer_learning(active_min_wins=1, min_sample=2)
    assert with_any_active.best_total == 5
    loyal_only = sel.best_customer_learning(active_min_wins=None, min_sample=2)
    assert loyal_only.best_total == 3


def test_outcomes_by_tier_count_closed_deals_and_churned_customers_in_the_period(django_assert_max_num_queries):
    start, end = dt.date(2026, 1, 1), dt.date(2026, 6, 30)
    strong = AccountFactory(name="strong", industry="manufacturing", employees=1000, departments=["it"])
    weak = AccountFactory(name="weak", industry="retail", employees=10)
    OpportunityFactory(account=strong, status="won", closed_on=dt.date(2026, 2, 1))
    OpportunityFactory(account=strong, status="lost", closed_on=dt.date(2026, 3, 1))
    OpportunityFactory(account=weak, status="lost", closed_on=dt.date(2026, 3, 1))
    OpportunityFactory(account=weak, status="won", opened_on=dt.date(2025, 12, 1),
                       closed_on=dt.date(2025, 12, 31))  # before the period
    OpportunityFactory(account=weak, status="open")
    # strong: a customer since 2025, still one; weak: became a customer in the period and churned in it.
    StateTransition.objects.create(account=strong, as_of=dt.date(2025, 5, 1), to_state=State.ACTIVE, rule="r")
    StateTransition.objects.create(account=weak, as_of=dt.date(2026, 2, 1), from_state=State.NEGOTIATION,
                                   to_state=State.ONBOARDING, rule="r")
    StateTransition.objects.create(account=weak, as_of=dt.date(2026, 5, 1), from_state=State.ONBOARDING,
                                   to_state=State.CHURNED, rule="r")
    # Churned before the period: not a customer of the period.
    gone = AccountFactory(name="gone", industry="retail")
    StateTransition.objects.create(account=gone, as_of=dt.date(2025, 1, 1), to_state=State.CHURNED, rule="r")
    spec = ProfileSpec(1, "p", (Criterion("industry", "eq", "manufacturing", 50),
                                Criterion("departments", "contains", "it", 50)))
    with django_assert_max_num_queries(2):
        outcome = sel.outcomes_by_tier(spec, start=start, end=end, label="v1", min_sample=1)
    assert (outcome.tier("A").win.hits, outcome.tier("A").win.total) == (1, 2)
    assert (outcome.tier("C").win.hits, outcome.tier("C").win.total) == (0, 1)
    assert (outcome.tier("A").churn.hits, outcome.tier("A").churn.total) == (0, 1)
    assert (outcome.tier("C").churn.hits, outcome.tier("C").churn.total) == (1, 1)
    assert outcome.win_spread == 50.0 and outcome.churn_spread == 100.0


def test_breadth_counts_tier_a_and_b_targets_touched_by_state_industry_and_region(django_assert_max_num_queries):
    as_of = dt.date(2026, 7, 20)
    kanto = AccountFactory(name="k", state=State.LEAD, icp_tier="A", industry="Retail", regions=["関東", "関西"])
    AccountFactory(name="k2", state=State.LEAD, icp_tier="B", industry="retail", regions=["関東"])
    AccountFactory(name="c", state=State.LEAD, icp_tier="C", regions=["関東"])  # tier C: not counted
    AccountFactory(name="o", state=State.OUT_OF_SCOPE, icp_tier="A", regions=["関東"])  # not a target
    old = AccountFactory(name="old", state=State.CHURNED, icp_tier="A", industry="chemicals", regions=[])
    TouchFactory(account=kanto, occurred_on=as_of - dt.timedelta(days=29))
    TouchFactory(account=kanto, occurred_on=as_of - dt.timedelta(days=5))
    TouchFactory(account=old, occurred_on=as_of - dt.timedelta(days=60))
    TouchFactory(account=old, occurred_on=as_of + dt.timedelta(days=1))  # after the as-of date
    with django_assert_max_num_queries(4):
        breadth = sel.breadth_by_segment(as_of=as_of)
    assert (breadth.total.accounts, breadth.total.touched_30d, breadth.total.touched_90d) == (3, 1, 2)
    assert {r.key: (r.accounts, r.touched_30d, r.touched_90d) for r in breadth.by_state} == {
        State.LEAD: (2, 1, 1), State.CHURNED: (1, 0, 1)}
    assert {r.key: (r.accounts, r.touched_30d) for r in breadth.by_industry} == {"retail": (2, 1), "chemicals": (1, 0)}
    assert {r.key: (r.accounts, r.touched_30d, r.touched_90d) for r in breadth.by_region} == {
        "関東": (2, 1, 1), "関西": (1, 1, 1)}
    assert breadth.by_region[0].pct_30 == 50


def test_grouping_by_matched_criteria_gives_the_same_figures_as_grouping_by_fit(accounts, monkeypatch):
    spec = ProfileSpec(None, "p", tuple(Criterion(a, o, v, w) for (a, o, v), w in zip(CRITERIA, range(1, 100))))
    few = ProfileSpec(None, "p", spec.criteria[:10])
    for profile in (few, SPEC):
        combined = sel.fit_counts_and_hits(profile)
        monkeypatch.setattr(sel, "MAX_COMBINATION_CRITERIA", 0)
        separate = sel.fit_counts_and_hits(profile)
        monkeypatch.undo()
        assert combined == separate


def test_a_value_listed_twice_on_one_account_counts_that_account_once():
    AccountFactory(name="dup", state=State.LEAD, icp_tier="A", regions=["関東", " 関東", "Kanto", "KANTO"])
    breadth = sel.breadth_by_segment(as_of=dt.date(2026, 7, 20))
    assert {r.key: r.accounts for r in breadth.by_region} == {"関東": 1, "kanto": 1}


def test_two_versions_are_validated_together_in_two_queries_by_each_accounts_latest_move(
        django_assert_max_num_queries):
    """The customers of the period come from each account's latest move up to the start (not any earlier one);
    both versions' tiers are read in the same two queries and each equals its own validation."""
    start, end = dt.date(2026, 1, 1), dt.date(2026, 6, 30)
    back = AccountFactory(name="came back", industry="manufacturing")
    left = AccountFactory(name="left before", industry="manufacturing")
    for account, moves in ((back, [(dt.date(2025, 3, 1), State.CHURNED), (dt.date(2025, 9, 1), State.ACTIVE)]),
                           (left, [(dt.date(2025, 3, 1), State.ACTIVE), (dt.date(2025, 9, 1), State.CHURNED)])):
        for as_of, state in moves:
            StateTransition.objects.create(account=account, as_of=as_of, to_state=state, rule="r")
    StateTransition.objects.create(account=back, as_of=dt.date(2026, 3, 1), from_state=State.ACTIVE,
                                   to_state=State.CHURNED, rule="r")
    OpportunityFactory(account=back, status="won", closed_on=dt.date(2026, 2, 1))
    OpportunityFactory(account=left, status="lost", closed_on=dt.date(2026, 2, 1))
    by_industry = ProfileSpec(1, "p", (Criterion("industry", "eq", "manufacturing", 1),))
    by_name = ProfileSpec(1, "p", (Criterion("name", "eq", "came back", 1),))
    with django_assert_max_num_queries(2):
        both = sel.outcomes_by_tier_of_versions([("v1", by_industry), ("v2", by_name)], start=start, end=end,
                                                min_sample=1)
    assert both == [sel.outcomes_by_tier(by_industry, start=start, end=end, label="v1", min_sample=1),
                    sel.outcomes_by_tier(by_name, start=start, end=end, label="v2", min_sample=1)]
    v1, v2 = both
    # Only "came back" was a customer on the start (and churned in the period); "left before" was not.
    assert (v1.tier("A").churn.hits, v1.tier("A").churn.total) == (1, 1)
    assert (v1.tier("A").win.hits, v1.tier("A").win.total) == (1, 2)
    assert (v2.tier("A").win.hits, v2.tier("A").win.total, v2.tier("C").win.total) == (1, 1, 1)
