"""Bounds on ICP profiles (profiles.validation): weights 1–1,000, finite numbers within the attribute's column,
tier thresholds 0–100 with A above B, a name of at most 200 characters. One check for every way in — the API,
the editor page, the JSON import page and import_icp — answering 400 (or exit 1) with the field, never 500."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from profiles.models import IcpProfile
from profiles.validation import MAX_WEIGHT, numeric_range, profile_input, validate_criteria, validate_tiers
from tests.profiles.test_editor_pages import editor_data, row_values

pytestmark = pytest.mark.django_db

GOOD = {"attribute": "industry", "op": "eq", "value": "manufacturing", "weight": 10}


def criterion(**changes) -> dict:
    return {**GOOD, **changes}


def problems(criteria) -> str:
    with pytest.raises(ValidationError) as exc:
        validate_criteria(criteria)
    return " ".join(exc.value.messages)


@pytest.mark.parametrize("weight", [0, -1, MAX_WEIGHT + 1, 10 ** 30, 1e30, 2.0, True, "5", None])
def test_a_weight_outside_1_to_1000_is_refused(weight):
    assert "criteria[0].weight: must be a positive integer up to 1,000" in problems([criterion(weight=weight)])


@pytest.mark.parametrize("weight", [1, MAX_WEIGHT])
def test_weights_1_and_1000_are_kept(weight):
    assert validate_criteria([criterion(weight=weight)])[0]["weight"] == weight


@pytest.mark.parametrize(("attribute", "op", "value"), [
    ("employees", "eq", 1e308), ("employees", "gt", 2 ** 31), ("employees", "lt", -(2 ** 31) - 1),
    ("employees", "between", [0, 10 ** 30]), ("employees", "in", [1, 2 ** 40]),
    ("annual_revenue", "gte", 2 ** 63), ("revenue_growth_pct", "eq", 10 ** 7), ("revenue_growth_pct", "lte", "-1e9"),
])
def test_a_number_beyond_the_column_of_a_numeric_attribute_is_refused(attribute, op, value):
    assert f"criteria[0].value: {attribute} holds numbers from" in problems(
        [criterion(attribute=attribute, op=op, value=value)])


@pytest.mark.parametrize(("attribute", "value"), [
    ("employees", 2 ** 31 - 1), ("employees", -(2 ** 31)), ("annual_revenue", 2 ** 63 - 1),
    ("revenue_growth_pct", Decimal("9999999.99")), ("revenue_growth_pct", "-9999999.99"), ("revenue_growth_pct", 5.505),
])
def test_the_ends_of_a_column_are_kept(attribute, value):
    assert validate_criteria([criterion(attribute=attribute, op="gte", value=value)])


def test_the_ranges_are_the_columns_on_every_database():
    assert numeric_range("employees") == (-(2 ** 31), 2 ** 31 - 1)
    assert numeric_range("annual_revenue") == (-(2 ** 63), 2 ** 63 - 1)
    assert numeric_range("revenue_growth_pct") == (Decimal("-9999999.99"), Decimal("9999999.99"))


@pytest.mark.parametrize(("changes", "message"), [
    ({"attribute": "employees", "op": "in", "value": [10, "many"]}, "criteria[0].value: employees is a number"),
    ({"attribute": "employees", "op": "gt", "value": float("nan")}, "criteria[0].value: gt needs a number"),
    ({"attribute": "employees", "op": "gte", "value": float("inf")}, "criteria[0].value: gte needs a number"),
    ({"value": float("inf")}, "criteria[0].value: numbers must be finite"),
    ({"op": "in", "value": ["it", float("nan")]}, "criteria[0].value: numbers must be finite"),
    ({"op": "in", "value": [["it"], "retail"]}, "criteria[0].value: in needs a list of single values"),
    ({"attribute": "listed", "value": "maybe"}, "criteria[0].value: listed is yes or no"),
])
def test_a_value_the_attribute_cannot_hold_is_refused(changes, message):
    assert message in problems([criterion(**changes)])


def test_yes_no_words_are_values_of_a_yes_no_attribute():
    assert validate_criteria([criterion(attribute="listed", value="y"), criterion(attribute="listed", op="in",
                                                                                    value=[True, "いいえ"])])


@pytest.mark.parametrize("tiers", [{"A": 50, "B": 50}, {"A": 40, "B": 60}, {"A": 101, "B": 50},
                                   {"A": 80, "B": -1}, {"A": 80.5, "B": 50}, {"A": True, "B": 0}, {"A": 80}, "x", 5])
def test_tiers_are_whole_numbers_0_to_100_with_a_above_b(tiers):
    with pytest.raises(ValidationError) as exc:
        validate_tiers(tiers)
    assert "tiers" in exc.value.message_dict


def test_tiers_next_to_each_other_and_at_the_ends_are_kept():
    assert validate_tiers({"A": 100, "B": 0}) == {"A": 100, "B": 0}
    assert validate_tiers({"A": 80, "B": 79}) == {"A": 80, "B": 79}
    assert validate_tiers(None) == {"A": 80, "B": 50}


@pytest.mark.parametrize(("data", "field"), [
    ({"name": "P"}, "criteria"), ({"name": "P", "criteria": 5}, "criteria"),
    ({"name": "P", "criteria": "x"}, "criteria"),
    ({"name": "P", "criteria": [GOOD], "tiers": "x"}, "tiers"), ({"name": "x" * 201, "criteria": [GOOD]}, "name"),
    ({"name": 5, "criteria": [GOOD]}, "name"), ({"criteria": [GOOD]}, "name"),
    ({"name": "P", "criteria": [GOOD], "active": "yes"}, "active"),
    ({"name": "P", "criteria": [GOOD], "description": ["d"]}, "description"),
])
def test_a_profile_names_each_field_that_is_wrong(data, field):
    with pytest.raises(ValidationError) as exc:
        profile_input(data)
    assert field in exc.value.message_dict


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationError) as exc:
        profile_input({"name": "", "tiers": {"A": 1, "B": 2}, "criteria": [criterion(weight=0)]})
    assert set(exc.value.message_dict) == {"name", "tiers", "criteria"}


def test_a_name_of_200_characters_is_kept():
    assert profile_input({"name": "x" * 200, "criteria": [GOOD]}).name == "x" * 200


# --- every way in ------------------------------------------------------------------------------------------

API_BODIES = [
    ({"name": "P"}, "criteria"),
    ({"name": "P", "criteria": 5}, "criteria"),
    ({"name": "P", "criteria": [GOOD], "tiers": "x"}, "tiers"),
    ({"name": "P", "criteria": [GOOD], "tiers": {"A": 50, "B": 50}}, "tiers"),
    ({"name": "x" * 201, "criteria": [GOOD]}, "name"),
    ({"name": 5, "criteria": [GOOD]}, "name"),
    ({"name": "P", "criteria": [criterion(attribute="employees", op="eq", value=1e308, weight=10 ** 30)]}, "criteria"),
    ({"name": "P", "criteria": [criterion(weight=1001)]}, "criteria"),
    ([GOOD], "profile"),
]


@pytest.mark.parametrize(("body", "field"), API_BODIES)
def test_the_api_answers_400_naming_the_field(client, marketer, body, field):
    client.force_login(marketer)
    response = client.post("/api/v1/icp-profiles/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not IcpProfile.objects.exists()


def test_the_api_keeps_a_profile_within_the_bounds(client, marketer):
    client.force_login(marketer)
    body = {"name": "x" * 200, "tiers": {"A": 51, "B": 50},
            "criteria": [criterion(attribute="employees", op="lte", value=2 ** 31 - 1, weight=1000)]}
    response = client.post("/api/v1/icp-profiles/", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content


def test_the_api_put_checks_the_same_bounds(client, marketer):
    client.force_login(marketer)
    body = {"name": "P", "criteria": [GOOD]}
    profile_id = client.post("/api/v1/icp-profiles/", json.dumps(body), content_type="application/json").json()["id"]
    response = client.put(f"/api/v1/icp-profiles/{profile_id}/", json.dumps({"criteria": [criterion(weight=5000)]}),
                          content_type="application/json")
    assert response.status_code == 400 and "criteria" in response.json()


def test_import_icp_refuses_values_beyond_the_bounds_with_exit_1(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"name": "P", "criteria": [criterion(attribute="employees", op="eq", value=1e308)]}))
    with pytest.raises(CommandError) as exc:
        call_command("import_icp", str(path))
    assert exc.value.returncode == 1 and "criteria[0].value: employees holds numbers from" in str(exc.value)
    path.write_text('{"name": "P", "criteria": [{"attribute": "industry", "op": "eq", "value": NaN, "weight": 1}]}')
    with pytest.raises(CommandError) as exc:
        call_command("import_icp", str(path))
    assert "criteria[0].value: numbers must be finite" in str(exc.value)
    assert not IcpProfile.objects.exists()


@pytest.mark.parametrize(("body", "field"), API_BODIES[:-1])
def test_the_import_page_answers_400_listing_the_problem(client, marketer, body, field):
    client.force_login(marketer)
    response = client.post("/profiles/import/", {"text": json.dumps(body)})
    assert response.status_code == 400
    assert any(p.startswith(field) for p in response.context["problems"]), response.context["problems"]
    assert not IcpProfile.objects.exists()


def test_the_editor_refuses_a_weight_over_1000_and_equal_tiers(client, marketer):
    client.force_login(marketer)
    response = client.post("/profiles/new/", editor_data([row_values(criterion(weight=1001))], name="Heavy"))
    assert response.status_code == 400 and "weight" in response.context["formset"].forms[0].errors
    response = client.post("/profiles/new/", editor_data([row_values(GOOD)], name="Flat", tier_a=60, tier_b=60))
    assert response.status_code == 400 and response.context["form"].errors["tier_a"]
    assert not IcpProfile.objects.exists()


def test_the_editor_refuses_a_number_beyond_the_column(client, marketer):
    client.force_login(marketer)
    row = row_values(criterion(attribute="employees", op="gte", value="1e308"))
    response = client.post("/profiles/new/", editor_data([row], name="Huge"))
    assert response.status_code == 400
    assert "employees holds numbers from" in " ".join(response.context["formset"].forms[0].errors["value"])
    assert not IcpProfile.objects.exists()
