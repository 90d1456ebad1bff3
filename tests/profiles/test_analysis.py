"""ICP analysis arithmetic (profiles/domain.py), hand-computed; no database."""

from decimal import Decimal
from fractions import Fraction

import pytest

from profiles.analysis import domain
from profiles.analysis.domain import LiftRow, lift_rows, suggest_criteria, weight_for
from profiles.validation import validate_criteria


def row(value, best, all_, *, best_total=100, all_total=1000, kind="category", attribute="industry", min_sample=30,
        low=None, high=None):
    return LiftRow(attribute=attribute, kind=kind, value=value, label=str(value), best_count=best,
                   best_total=best_total, all_count=all_, all_total=all_total, min_sample=min_sample, low=low, high=high)


def test_lift_is_share_among_best_over_share_among_all_targets():
    # 40 of 100 best customers are manufacturers; 200 of 1,000 targets are: 40% / 20% = lift 2.
    r = row("manufacturing", 40, 200)
    assert r.share_best == Fraction(2, 5)
    assert r.share_all == Fraction(1, 5)
    assert r.lift == 2
    assert (r.share_best_pct, r.share_all_pct, r.lift_display) == (40.0, 20.0, 2.0)
    assert r.suggested


def test_lift_below_one_means_under_represented_and_is_not_suggested():
    # 30 of 100 best (30%) vs 500 of 1,000 targets (50%): lift 0.6.
    r = row("retail", 30, 500)
    assert r.lift == Fraction(3, 5)
    assert not r.suggested


def test_lift_just_under_the_threshold_is_shown_but_not_suggested():
    # 35/100 = 35% vs 250/1000 = 25%: lift 1.4 < 1.5.
    r = row("it", 35, 250)
    assert r.lift == Fraction(7, 5)
    assert not r.suggested
    assert row("it", 30, 200).lift == Fraction(3, 2) and row("it", 30, 200).suggested  # exactly 1.5 counts


def test_too_few_accounts_in_either_group_means_too_few_to_tell():
    # 29 best customers with the value: no lift at all, even though 29% vs 2.9% would be lift 10.
    few_best = row("mining", 29, 29)
    assert not few_best.enough and few_best.lift is None and not few_best.suggested
    # Plenty among the best but too few in the market is equally untellable.
    few_all = row("mining", 30, 29, best_total=30)
    assert not few_all.enough and few_all.lift is None
    # Exactly the minimum in both groups is enough.
    assert row("mining", 30, 30).enough


def test_minimum_sample_is_configurable():
    r = row("mining", 5, 10, min_sample=5)
    assert r.enough and r.lift == Fraction(5, 100) / Fraction(10, 1000)
    assert not row("mining", 5, 10, min_sample=6).enough


def test_too_few_rows_are_never_suggested_however_large_their_lift():
    rows = [row("mining", 20, 20), row("manufacturing", 40, 200)]
    suggestions = suggest_criteria(rows)
    assert [s.criterion["value"] for s in suggestions] == [["manufacturing"]]


def test_weight_is_ten_times_lift_rounded_half_up_within_one_and_fifty():
    assert weight_for(Fraction(3, 2)) == 15
    assert weight_for(Fraction(2)) == 20
    assert weight_for(Fraction(2.25)) == 23  # 22.5 rounds up
    assert weight_for(Fraction(9)) == 50
    assert weight_for(Fraction(1, 100)) == 1


def test_industries_over_represented_merge_into_one_in_criterion_with_the_lift_of_their_sum():
    # manufacturing 40/100 vs 200/1000 (lift 2), chemicals 30/100 vs 100/1000 (lift 3):
    # together 70/100 vs 300/1000 = 0.7 / 0.3 = lift 7/3 → weight round(23.33) = 23.
    rows = [row("manufacturing", 40, 200), row("chemicals", 30, 100), row("retail", 30, 700)]
    [suggestion] = suggest_criteria(rows)
    assert suggestion.criterion == {"attribute": "industry", "op": "in", "value": ["chemicals", "manufacturing"],
                                    "weight": 23}
    assert suggestion.lift == Fraction(7, 3)
    assert (suggestion.best_count, suggestion.all_count) == (70, 300)


def test_adjacent_numeric_bands_merge_into_one_between_and_others_stay_apart():
    bands = domain.bands_for(domain.NUMERIC_BAND_EDGES["employees"])  # <50, 50–299, 300–999, 1000–4999, ≥5000
    counts_best = {0: 5, 1: 5, 2: 40, 3: 30, 4: 20}
    counts_all = {0: 400, 1: 300, 2: 150, 3: 100, 4: 50}
    rows = lift_rows(attribute="employees", kind="band", best=counts_best, all_targets=counts_all, best_total=100,
                     all_total=1000, min_sample=5, bands=bands)
    # lifts: 0.125, 0.167, 2.67, 3, 4 → bands 2, 3, 4 qualify and are adjacent: one criterion ≥ 300.
    [suggestion] = suggest_criteria(rows)
    assert suggestion.criterion == {"attribute": "employees", "op": "gte", "value": 300, "weight": 30}
    assert suggestion.lift == Fraction(90, 100) / Fraction(300, 1000)
    # With the top band dropped, the run ends at 5,000 exclusive: between [300, 4999].
    rows_without_top = [r for r in rows if r.value != 4]
    [bounded] = suggest_criteria(rows_without_top)
    assert bounded.criterion["op"] == "between" and bounded.criterion["value"] == [300, 4999]


def test_band_criterion_uses_the_step_of_the_stored_number():
    assert domain.band_criterion("revenue_growth_pct", Decimal(5), Decimal(10)) == {
        "attribute": "revenue_growth_pct", "op": "between", "value": [5, 9.99]}
    assert domain.band_criterion("employees", None, Decimal(50)) == {"attribute": "employees", "op": "lt", "value": 50}


def test_list_and_yes_no_values_become_contains_and_is_true_criteria():
    rows = [row("marketing", 60, 300, kind="list", attribute="departments"),
            row(True, 80, 400, kind="boolean", attribute="listed"),
            row(False, 20, 600, kind="boolean", attribute="listed")]
    suggestions = suggest_criteria(rows)
    assert [s.criterion for s in suggestions] == [
        {"attribute": "departments", "op": "contains", "value": "marketing", "weight": 20},
        {"attribute": "listed", "op": "is_true", "weight": 20},
    ]


def test_suggestions_keep_the_strongest_few():
    rows = [row(f"v{i}", 30 + i, 100, kind="list", attribute="technologies") for i in range(12)]
    suggestions = suggest_criteria(rows, max_criteria=3)
    assert [s.criterion["value"] for s in suggestions] == ["v11", "v10", "v9"]


def test_suggested_criteria_pass_the_profile_validation():
    rows = [row("manufacturing", 40, 200), row("marketing", 60, 300, kind="list", attribute="departments"),
            row(True, 80, 400, kind="boolean", attribute="listed")]
    criteria = domain.suggested_criteria(suggest_criteria(rows))
    assert validate_criteria(criteria)


def test_win_and_churn_rates_by_tier_with_counts():
    outcome = domain.version_outcome(label="v2", won={"A": 12, "B": 5, "C": 3}, closed={"A": 30, "B": 25, "C": 40},
                                       churned={"A": 3, "C": 12}, customers={"A": 40, "B": 10, "C": 48})
    a, b, c = outcome.tier("A"), outcome.tier("B"), outcome.tier("C")
    assert (a.win.rate, a.win.pct) == (Fraction(2, 5), 40.0)
    assert b.win.pct == 20.0 and not b.win.enough  # 25 deals < 30
    assert c.win.pct == 7.5
    assert a.churn.pct == 7.5 and c.churn.pct == 25.0
    assert b.churn.hits == 0 and b.churn.total == 10
    assert outcome.win_spread == 32.5  # 40% − 7.5%
    assert outcome.churn_spread == 17.5  # 25% − 7.5%


def test_a_tier_without_deals_has_no_rate_and_no_spread():
    outcome = domain.version_outcome(label="v1", won={}, closed={}, churned={}, customers={})
    assert outcome.tier("A").win.rate is None and outcome.tier("A").win.pct is None
    assert outcome.win_spread is None and outcome.churn_spread is None


def test_histogram_has_ten_point_buckets_and_a_hundred_joins_the_last():
    buckets = domain.histogram({0: 2, 9: 1, 10: 4, 95: 1, 100: 3})
    assert [(b.low, b.high, b.count) for b in buckets][:2] == [(0, 9, 3), (10, 19, 4)]
    assert (buckets[-1].low, buckets[-1].high, buckets[-1].count) == (90, 100, 4)
    assert buckets[1].pct_of_max == 100 and buckets[0].pct_of_max == 75


def test_tier_counts_follow_the_profile_thresholds():
    assert domain.tier_counts({85: 2, 80: 1, 79: 4, 50: 1, 0: 5}, {"A": 80, "B": 50}) == {"A": 3, "B": 5, "C": 5}
    assert domain.tier_counts({85: 2, 79: 4}, {"A": 90, "B": 70}) == {"A": 0, "B": 6, "C": 0}


@pytest.mark.parametrize(("value", "band"), [(0, 0), (49, 0), (50, 1), (299, 1), (300, 2), (5000, 4), (None, None)])
def test_band_edges_are_inclusive_below_and_exclusive_above(value, band):
    bands = domain.bands_for(domain.NUMERIC_BAND_EDGES["employees"])
    assert domain.band_of(value, bands) == band
