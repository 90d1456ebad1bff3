"""ICP fit (docs/rules.md §6): every operator, missing values, rounding, ties; import_icp; versions."""

import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Account
from profiles.models import IcpProfile
from profiles.scoring import Criterion, ProfileSpec, as_boolean, best_fit, criterion_matches, profile_fit
from profiles.selectors import profile_to_json
from profiles.services import profile_save

ACCOUNT = {
    "industry": " Manufacturing ", "employees": 1200, "listed": True, "revenue_growth_pct": Decimal("5.50"),
    "departments": ["Marketing", "sales"], "regions": ["関東"], "technologies": [], "prefecture": "", "annual_revenue": None,
}


@pytest.mark.parametrize(
    ("attribute", "op", "value", "expected"),
    [
        ("industry", "eq", "manufacturing", True),  # trimmed, case-insensitive
        ("industry", "eq", "retail", False),
        ("industry", "ne", "retail", True),
        ("industry", "ne", "MANUFACTURING", False),
        ("industry", "in", ["retail", "manufacturing"], True),
        ("industry", "not_in", ["retail"], True),
        ("industry", "not_in", ["manufacturing"], False),
        ("employees", "gt", 1200, False),
        ("employees", "gte", 1200, True),
        ("employees", "lt", 1201, True),
        ("employees", "lte", 1199, False),
        ("employees", "between", [300, 1200], True),  # inclusive
        ("employees", "between", [1201, 5000], False),
        ("revenue_growth_pct", "gte", "5.5", True),
        ("listed", "is_true", None, True),
        ("listed", "is_false", None, False),
        ("departments", "contains", "marketing", True),
        ("departments", "contains", "hr", False),
        ("departments", "contains_any", ["hr", "SALES"], True),
        ("regions", "in", ["関東", "関西"], True),  # a list attribute: any element in the values
        ("regions", "not_in", ["関東"], False),
        ("regions", "not_in", ["九州"], True),
        # A missing value never matches, not even ne or not_in.
        ("prefecture", "ne", "東京都", False),
        ("prefecture", "not_in", ["東京都"], False),
        ("annual_revenue", "lt", 10, False),
        ("technologies", "not_in", ["sap"], False),
        ("domain", "ne", "x", False),
    ],
)
def test_every_operator(attribute, op, value, expected):
    assert criterion_matches(Criterion(attribute, op, value, 1), ACCOUNT) is expected


def profile(name, *criteria, tiers=None):
    return ProfileSpec(profile_id=None, name=name, criteria=tuple(Criterion(*c) for c in criteria),
                       tiers=tiers or {"A": 80, "B": 50})


def test_fit_rounds_half_up_on_exact_arithmetic():
    p = profile("p", ("industry", "eq", "manufacturing", 1), ("industry", "eq", "x", 2))
    assert profile_fit(ACCOUNT, p) == (33, (0,))  # 33.33…
    p = profile("p", ("industry", "eq", "manufacturing", 1), ("industry", "eq", "x", 1), ("industry", "eq", "y", 6))
    assert profile_fit(ACCOUNT, p)[0] == 13  # 12.5 rounds up
    p = profile("p", ("industry", "eq", "manufacturing", 2), ("industry", "eq", "y", 1))
    assert profile_fit(ACCOUNT, p)[0] == 67  # 66.67


def test_best_fit_takes_the_maximum_and_ties_go_to_the_first_name_by_code_point():
    high = profile("a-low-case", ("industry", "eq", "manufacturing", 1))
    tie = profile("B-upper", ("employees", "gte", 10, 1))
    low = profile("C", ("industry", "eq", "retail", 1))
    result = best_fit(ACCOUNT, [high, tie, low])
    assert (result.fit, result.profile_name, result.tier) == (100, "B-upper", "A")  # "B" < "a" by code point


def test_a_profile_is_named_even_at_zero_and_none_without_profiles():
    result = best_fit(ACCOUNT, [profile("only", ("industry", "eq", "retail", 1))])
    assert (result.fit, result.profile_name, result.tier) == (0, "only", "C")
    assert (best_fit(ACCOUNT, []).fit, best_fit(ACCOUNT, []).profile_id, best_fit(ACCOUNT, []).tier) == (0, None, "")


def test_tiers_use_the_profile_thresholds():
    p = profile("t", ("industry", "eq", "manufacturing", 6), ("industry", "eq", "x", 4), tiers={"A": 60, "B": 30})
    assert best_fit(ACCOUNT, [p]).tier == "A"


@pytest.mark.django_db
def test_every_save_is_a_new_version_and_the_json_round_trips(tmp_path):
    data = {"name": "Mid-market", "description": "d", "active": True, "tiers": {"A": 70, "B": 40},
            "criteria": [{"attribute": "industry", "op": "in", "value": ["manufacturing"], "weight": 30},
                         {"attribute": "employees", "op": "between", "value": [300, 5000], "weight": 20},
                         {"attribute": "listed", "op": "is_true", "weight": 5}]}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = io.StringIO()
    call_command("import_icp", str(path), stdout=out)
    assert out.getvalue().strip() == 'profile="Mid-market" version=1 criteria=3'
    call_command("import_icp", str(path), stdout=out)
    p = IcpProfile.objects.get()
    assert (p.versions.count(), p.current_version.number) == (2, 2)
    exported = tmp_path / "e.json"
    call_command("export_icp", "Mid-market", "--output", str(exported), stderr=io.StringIO())
    assert json.loads(exported.read_text()) == data


@pytest.mark.django_db
def test_a_profile_without_tiers_or_active_uses_the_defaults():
    version = profile_save(name="Plain", criteria=[{"attribute": "industry", "op": "eq", "value": "it", "weight": 1}])
    assert profile_to_json(version.profile)["tiers"] == {"A": 80, "B": 50}
    assert version.profile.active


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ([{"attribute": "colour", "op": "eq", "value": "x", "weight": 1}], "criteria[0].attribute: unknown attribute"),
        ([{"attribute": "industry", "op": "like", "value": "x", "weight": 1}], "criteria[0].op: unknown operator"),
        ([{"attribute": "employees", "op": "between", "value": [9, 1], "weight": 1}], "low ≤ high"),
        ([{"attribute": "industry", "op": "in", "value": "it", "weight": 1}], "needs a non-empty list"),
        ([{"attribute": "industry", "op": "eq", "value": "it", "weight": 0}], "positive integer"),
    ],
)
def test_invalid_criteria_are_refused_naming_the_criterion_and_field(criteria, message):
    with pytest.raises(ValidationError) as exc:
        profile_save(name="Bad", criteria=criteria)
    assert any(message in m for m in exc.value.messages)


@pytest.mark.django_db
def test_import_icp_reports_bad_json_and_invalid_profiles_with_exit_1(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("import_icp", str(bad))
    assert exc.value.returncode == 1 and "not valid JSON" in str(exc.value)
    bad.write_text(json.dumps({"name": "X", "criteria": [{"attribute": "industry", "op": "gt", "value": "a", "weight": 1}]}))
    with pytest.raises(CommandError) as exc:
        call_command("import_icp", str(bad))
    assert "criteria[0].value: gt needs a number" in str(exc.value)


@pytest.mark.django_db
def test_saving_a_profile_rescores_the_accounts_after_commit(django_capture_on_commit_callbacks):
    account = Account.objects.create(external_id="X1", name="X", industry="manufacturing", employees=500)
    with django_capture_on_commit_callbacks(execute=True):
        profile_save(name="Makers", criteria=[{"attribute": "industry", "op": "eq", "value": "manufacturing", "weight": 3},
                                              {"attribute": "employees", "op": "gte", "value": 1000, "weight": 1}])
    account.refresh_from_db()
    assert (account.icp_fit, account.icp_profile.name, account.icp_tier, account.icp_matched) == (75, "Makers", "B", [0])


@pytest.mark.parametrize("text", ["nan", "NaN", "-Infinity", "inf", "sNaN"])
def test_nan_and_infinity_written_in_a_text_field_are_text_not_numbers(text):
    """They parse as Decimals; ordering NaN raised InvalidOperation and stopped the whole nightly chunk."""
    for op, bound in (("gt", 0), ("lt", 10), ("between", [0, 10])):
        criterion = Criterion(attribute="corporate_number", op=op, value=bound, weight=1)
        assert criterion_matches(criterion, {"corporate_number": text}) is False
    assert criterion_matches(Criterion(attribute="industry", op="eq", value="NaN", weight=1), {"industry": " nan "})


@pytest.mark.parametrize(("text", "expected"), [
    ("y", True), (" T ", True), ("yes", True), ("はい", True), ("1", True),
    ("n", False), ("F", False), ("no", False), ("いいえ", False), ("0", False), ("maybe", None), ("", None),
])
def test_yes_no_words_are_the_importers_single_letters_included(text, expected):
    """Scoring reads yes/no with core.yesno, the importer's table: y/t and n/f count too."""
    assert as_boolean(text) is expected
    listed = {"listed": True}
    assert criterion_matches(Criterion("listed", "eq", text, 1), listed) is (expected is True)
    assert criterion_matches(Criterion("domain", "is_true", None, 1), {"domain": text}) is (expected is True)
    assert criterion_matches(Criterion("domain", "is_false", None, 1), {"domain": text}) is (expected is False)
