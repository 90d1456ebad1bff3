"""The data the product starts from and the data tests are built from keep every field rule of the models: the
demo organisation (seed_demo), the default standards, handoff rules, states and thresholds (*/defaults.py, laid
down by the data migrations) and the factories. A rule tightened without fixing its seeds fails here first."""

import io

import pytest
from django.core.management import call_command
from django.db import models

from accounts.models import Account, Lead, Opportunity
from contacts.models import ContactPerson, Touch
from core.models import User
from handoffs.defaults import DEFAULT_HANDOFF_RULES
from handoffs.models import HandoffRule
from segments.models import Segment, StateThresholds
from standards.defaults import DEFAULT_REQUIREMENTS
from standards.models import Requirement, Standard
from tests.factories import AccountFactory, LeadFactory, OpportunityFactory, TouchFactory, UserFactory

pytestmark = pytest.mark.django_db

MODELS = (User, Account, Lead, Opportunity, ContactPerson, Touch, Segment, StateThresholds, Standard, Requirement,
          HandoffRule)


def rows_breaking_the_rules(model: type[models.Model]) -> list[str]:
    """Each row's field validators and clean() (foreign keys are the database's), and each named CheckConstraint
    asked of the whole table at once."""
    relations = [f.name for f in model._meta.concrete_fields if f.is_relation]
    found = []
    for row in model.objects.all():
        try:
            row.clean_fields(exclude=relations)
            row.clean()
        except Exception as exc:  # noqa: BLE001 - every broken rule is reported, whatever its kind
            found.append(f"{model.__name__} {row.pk}: {exc}")
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.CheckConstraint) and model.objects.exclude(constraint.condition).exists():
            found.append(f"{model.__name__}: rows break {constraint.name}")
    return found


def test_the_demo_organisation_and_the_default_configuration_keep_every_field_rule():
    # A short history: the story still draws every kind of row (leads, deals, contracts, touches) and the nights
    # still run; the default six months only add more of the same rows at a few times the cost.
    call_command("seed_demo", "--accounts", "60", "--seed", "7", "--history-days", "14", stdout=io.StringIO())
    assert [m for m in MODELS if not m.objects.exists()] in ([], [ContactPerson])  # the demo has no contact people
    StateThresholds.load()
    assert Account.objects.exclude(corporate_number="").count() == 60
    assert Requirement.objects.count() == len(DEFAULT_REQUIREMENTS)
    assert HandoffRule.objects.count() == len(DEFAULT_HANDOFF_RULES)
    assert [problem for model in MODELS for problem in rows_breaking_the_rules(model)] == []


def test_the_factories_keep_every_field_rule():
    UserFactory()
    LeadFactory()
    OpportunityFactory()
    TouchFactory()
    AccountFactory()
    assert [problem for model in MODELS for problem in rows_breaking_the_rules(model)] == []


def test_the_check_sees_a_row_breaking_a_rule():
    account = AccountFactory()
    Account.objects.filter(pk=account.pk).update(corporate_number="6000012050002")  # 13 digits, wrong check digit
    problems = rows_breaking_the_rules(Account)
    assert len(problems) == 1 and problems[0].startswith(f"Account {account.pk}: {{'corporate_number': ")
