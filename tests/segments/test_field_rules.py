"""The state rules' thresholds within their ranges (segments.models): day counts 1–3,650, won deals 1–1,000, a lead
score or ICP fit 0–100. Out of range is refused with the field named, through the API and the settings page;
each bound is taken; the night runs with the widest values allowed."""

import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from core.timeutil import business_today
from engine.models import RecomputeRun
from segments.models import StateThresholds
from tests.factories import AccountFactory, LeadFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

RANGES = {"churn_after_days": (1, 3650), "onboarding_days": (1, 3650), "loyal_min_tenure_days": (1, 3650),
          "loyal_min_won_deals": (1, 1000), "hot_lead_min_score": (0, 100), "high_potential_min_fit": (0, 100)}
REFUSED = [(field, value) for field, (low, high) in RANGES.items() for value in (low - 1, high + 1)] + [
    ("churn_after_days", 1311100056), ("hot_lead_min_score", "seventy")]
AT_THE_BOUNDS = [(field, value) for field, bounds in RANGES.items() for value in bounds]
DEFAULTS = {"churn_after_days": 365, "onboarding_days": 183, "loyal_min_tenure_days": 730, "loyal_min_won_deals": 3,
            "hot_lead_min_score": 70, "high_potential_min_fit": 70}


@pytest.fixture
def api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


def test_the_ranges_are_the_models():
    for field, (low, high) in RANGES.items():
        validators = StateThresholds._meta.get_field(field).validators
        assert {getattr(v, "limit_value", None) for v in validators} >= {low, high}


@pytest.mark.parametrize(("field", "value"), REFUSED)
def test_a_threshold_out_of_range_is_refused_by_the_api_with_the_field_named(api, field, value):
    response = api.patch("/api/v1/segments/thresholds/", {field: value}, format="json")
    assert response.status_code == 400 and field in response.json()
    assert getattr(StateThresholds.load(), field) == DEFAULTS[field]


@pytest.mark.parametrize(("field", "value"), AT_THE_BOUNDS)
def test_a_threshold_at_a_bound_is_taken_by_the_api(api, field, value):
    response = api.patch("/api/v1/segments/thresholds/", {field: value}, format="json")
    assert response.status_code == 200 and response.json()[field] == value
    assert getattr(StateThresholds.load(), field) == value


def test_an_unknown_setting_is_still_refused(api):
    response = api.patch("/api/v1/segments/thresholds/", {"churn_after_days": 30, "coffee": 1}, format="json")
    assert response.status_code == 400 and "coffee" in response.json()
    assert StateThresholds.load().churn_after_days == 365


@pytest.mark.parametrize(("field", "value"), REFUSED)
def test_a_threshold_out_of_range_is_refused_by_the_settings_page_next_to_the_field(client, manager, field, value):
    client.force_login(manager)
    response = client.post("/states/settings/", dict(DEFAULTS, **{field: value}, action="save"))
    assert response.status_code == 400 and field in response.context["form"].errors
    assert getattr(StateThresholds.load(), field) == DEFAULTS[field]


@pytest.mark.parametrize(("field", "value"), AT_THE_BOUNDS)
def test_a_threshold_at_a_bound_is_saved_by_the_settings_page(client, manager, field, value):
    client.force_login(manager)
    response = client.post("/states/settings/", dict(DEFAULTS, **{field: value}, action="save"))
    assert response.status_code == 302
    assert getattr(StateThresholds.load(), field) == value


def test_the_settings_inputs_carry_the_models_bounds(client, manager):
    client.force_login(manager)
    html = client.get("/states/settings/").content.decode()
    assert 'max="3650"' in html and 'max="100"' in html and 'max="1000"' in html


def test_the_database_refuses_a_threshold_out_of_range():
    StateThresholds.load()
    with pytest.raises(IntegrityError), transaction.atomic():
        StateThresholds.objects.update(hot_lead_min_score=101)


def test_the_night_runs_with_the_widest_thresholds_allowed(api):
    wide = {"churn_after_days": 3650, "onboarding_days": 3650, "loyal_min_tenure_days": 3650, "loyal_min_won_deals": 1000,
            "hot_lead_min_score": 0, "high_potential_min_fit": 100}
    assert api.patch("/api/v1/segments/thresholds/", wide, format="json").status_code == 200
    today = business_today()
    customer = AccountFactory()
    OpportunityFactory(account=customer, opened_on=today.replace(year=today.year - 9), closed_on=today.replace(year=today.year - 9),
                       status="won")
    LeadFactory(account=AccountFactory(), created_on=today, score=None)
    call_command("recompute_coverage", "--as-of", today.isoformat(), stdout=io.StringIO())
    assert RecomputeRun.objects.get(as_of=today).status == RecomputeRun.Status.COMPLETED
    customer.refresh_from_db()
    assert customer.state == "ONBOARDING"  # first won nine years ago, still within 3,650 days


@pytest.mark.django_db(transaction=True)
def test_the_migration_brings_stored_thresholds_out_of_range_to_their_bounds():
    from tests.engine.migrating import migrate_to, migrate_to_latest

    apps = migrate_to("segments", "0002_default_segments")
    old = apps.get_model("segments", "StateThresholds").objects
    old.update_or_create(id=1, defaults={"churn_after_days": 1311100056, "onboarding_days": 0, "hot_lead_min_score": 150})
    migrate_to_latest()
    thresholds = StateThresholds.load()
    assert (thresholds.churn_after_days, thresholds.onboarding_days, thresholds.hot_lead_min_score) == (3650, 1, 100)
    assert thresholds.loyal_min_tenure_days == 730  # within range: unchanged
