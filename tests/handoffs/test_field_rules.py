"""A handoff rule's SLA is 1–2,000 business hours and its from-states are states (handoffs.models). Out of range
is refused with the field named, through the API and the rule form; each bound is taken; the night runs with
the longest SLA allowed."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from core.timeutil import business_today
from engine.models import RecomputeRun
from engine.services import recompute_all
from handoffs.forms import HandoffRuleForm
from handoffs.models import Handoff, HandoffRule
from tests.factories import AccountFactory, LeadFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

RULE = {"order": 99, "name": "x", "to_state": "LEAD", "from_states": [], "from_role": "marketing",
        "to_role": "inside_sales", "model": "baton", "sla_business_hours": 8, "active": True}


@pytest.fixture
def api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


@pytest.mark.parametrize(("field", "value"), [("sla_business_hours", 0), ("sla_business_hours", 2001),
                                              ("sla_business_hours", 100000), ("from_states", ["NOPE"]),
                                              ("from_states", "HOT_LEAD"), ("to_role", "pilot")])
def test_a_rule_out_of_range_is_refused_by_the_api_with_the_field_named(api, field, value):
    response = api.post("/api/v1/handoff-rules/", dict(RULE, **{field: value}), format="json")
    assert response.status_code == 400 and field in response.json()
    existing = HandoffRule.objects.first()
    response = api.patch(f"/api/v1/handoff-rules/{existing.id}/", {field: value}, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not HandoffRule.objects.filter(name="x").exists()
    assert HandoffRule.objects.get(pk=existing.pk).sla_business_hours == existing.sla_business_hours


@pytest.mark.parametrize("hours", [1, 2000])
def test_an_sla_at_a_bound_is_taken(api, hours):
    response = api.post("/api/v1/handoff-rules/", dict(RULE, sla_business_hours=hours), format="json")
    assert response.status_code == 201, response.content
    assert HandoffRule.objects.get(name="x").sla_business_hours == hours


@pytest.mark.parametrize(("hours", "valid"), [(0, False), (1, True), (2000, True), (2001, False)])
def test_the_rule_form_takes_the_models_bounds(hours, valid):
    form = HandoffRuleForm(data=dict(RULE, sla_business_hours=hours, from_states=["HOT_LEAD"]))
    assert form.is_valid() is valid
    assert valid or "sla_business_hours" in form.errors
    assert 'max="2000"' in str(form["sla_business_hours"])


def test_the_database_refuses_an_sla_out_of_range():
    with pytest.raises(IntegrityError), transaction.atomic():
        HandoffRule.objects.filter(name="inside-sales-to-sales").update(sla_business_hours=100000)


def test_the_night_runs_with_the_longest_sla_allowed(sales):
    HandoffRule.objects.update(sla_business_hours=2000)
    today = business_today()
    account = AccountFactory(owner_sales=sales)
    LeadFactory(account=account, created_on=today - dt.timedelta(days=30), score=10)
    recompute_all(as_of=today - dt.timedelta(days=1))
    OpportunityFactory(account=account, opened_on=today)
    call_command("recompute_coverage", "--as-of", today.isoformat(), stdout=io.StringIO())
    assert RecomputeRun.objects.get(as_of=today).status == RecomputeRun.Status.COMPLETED
    handoff = Handoff.objects.get(account=account)
    assert (handoff.from_state, handoff.to_state, handoff.status) == ("LEAD", "NEGOTIATION", "pending")
    assert handoff.due_at.date() > today + dt.timedelta(days=200)


@pytest.mark.django_db(transaction=True)
def test_the_migration_brings_a_stored_sla_out_of_range_to_its_bound():
    from tests.engine.migrating import migrate_to, migrate_to_latest

    apps = migrate_to("handoffs", "0002_default_rules")
    old = apps.get_model("handoffs", "HandoffRule").objects
    long = old.create(name="long", to_state="CHURNED", from_role="sales", to_role="marketing", sla_business_hours=100000)
    fine = old.create(name="fine", to_state="LEAD", from_role="marketing", to_role="inside_sales", sla_business_hours=8)
    migrate_to_latest()
    assert HandoffRule.objects.get(pk=long.pk).sla_business_hours == 2000
    assert HandoffRule.objects.get(pk=fine.pk).sla_business_hours == 8
