"""Accounts and deals keep their field rules (accounts.models, core.validators): a corporate number is 13 digits
whose first is the check digit of the others; head counts and amounts are not negative; a deal does not close
before it opens. The API answers 400 with the field named; the model and the database refuse the same."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from accounts.models import Account, Opportunity
from core.validators import (
    CorporateNumberError, check_corporate_number, corporate_number_check_digit, validate_corporate_number,
)
from tests.factories import AccountFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


def test_the_check_digit_of_the_example_corporate_number():
    assert corporate_number_check_digit("000012050002") == 7
    assert check_corporate_number("7000012050002") == "7000012050002"


@pytest.mark.parametrize(("text", "message", "expected"), [
    ("6000012050002", "'6000012050002' has a wrong check digit (expected 7)", 7),
    ("700001205000", "'700001205000' is not a corporate number (13 digits)", None),
    ("７000012050002", "'７000012050002' is not a corporate number (13 digits)", None),  # callers normalise first
    ("70000120500X2", "'70000120500X2' is not a corporate number (13 digits)", None),
])
def test_the_pure_check_says_why_a_text_is_not_a_corporate_number(text, message, expected):
    with pytest.raises(CorporateNumberError) as exc:
        check_corporate_number(text)
    assert (str(exc.value), exc.value.expected_check_digit) == (message, expected)


def test_the_field_validator_names_the_expected_check_digit():
    validate_corporate_number("7000012050002")
    with pytest.raises(ValidationError) as exc:
        validate_corporate_number("6000012050002")
    assert exc.value.code == "corporate_number_check_digit" and exc.value.params == {"digit": 7}


@pytest.mark.parametrize(("number", "status"), [("7000012050002", 201), ("", 201), ("6000012050002", 400),
                                                ("12345", 400), ("70000120500021", 400)])
def test_the_api_takes_only_valid_corporate_numbers(api, number, status):
    response = api.post("/api/v1/accounts/", {"external_id": "NEW", "name": "New", "corporate_number": number},
                        format="json")
    assert response.status_code == status, response.content
    if status == 400:
        assert "corporate_number" in response.json() and not Account.objects.filter(external_id="NEW").exists()


@pytest.mark.parametrize("field", ["employees", "annual_revenue", "promo_budget", "avg_order_amount"])
def test_negative_head_counts_and_amounts_are_refused(api, field):
    response = api.post("/api/v1/accounts/", {"external_id": "NEW", "name": "New", field: -1}, format="json")
    assert response.status_code == 400 and field in response.json()
    assert api.post("/api/v1/accounts/", {"external_id": "NEW", "name": "New", field: 0}, format="json").status_code == 201


def test_the_database_refuses_a_corporate_number_that_is_not_13_digits():
    account = AccountFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(corporate_number="12345")


def test_a_deal_cannot_close_before_it_opens(api):
    account = AccountFactory()
    body = {"external_id": "D1", "account": account.id, "opened_on": "2026-07-10", "closed_on": "2026-07-09",
            "status": "lost"}
    response = api.post("/api/v1/opportunities/", body, format="json")
    assert response.status_code == 400 and "closed_on" in response.json()
    same_day = api.post("/api/v1/opportunities/", dict(body, closed_on="2026-07-10"), format="json")
    assert same_day.status_code == 201, same_day.content
    deal = Opportunity.objects.get(external_id="D1")
    response = api.patch(f"/api/v1/opportunities/{deal.id}/", {"opened_on": "2026-07-11"}, format="json")
    assert response.status_code == 400 and "closed_on" in response.json()


def test_the_model_and_the_database_refuse_a_deal_closing_before_it_opens():
    deal = OpportunityFactory(opened_on=dt.date(2026, 7, 10))
    deal.closed_on = dt.date(2026, 7, 9)
    with pytest.raises(ValidationError) as exc:
        deal.full_clean()
    assert "closed_on" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        deal.save()


def test_a_negative_deal_amount_is_refused(api):
    account = AccountFactory()
    response = api.post("/api/v1/opportunities/", {"external_id": "D2", "account": account.id, "opened_on": "2026-07-10",
                                                   "amount": -5}, format="json")
    assert response.status_code == 400 and "amount" in response.json()


@pytest.mark.parametrize(("score", "status"), [(-1, 400), (0, 201), (100, 201), (101, 400)])
def test_a_lead_score_is_0_to_100(api, score, status):
    account = AccountFactory()
    response = api.post("/api/v1/leads/", {"external_id": "L1", "account": account.id, "created_on": "2026-07-10",
                                           "score": score}, format="json")
    assert response.status_code == status
    assert status == 201 or "score" in response.json()


@pytest.mark.django_db(transaction=True)
def test_the_migration_names_the_stored_rows_that_break_a_rule_and_changes_nothing():
    from tests.engine.migrating import migrate_to, migrate_to_latest

    apps = migrate_to("accounts", "0004_account_name_trigram_index")
    OldAccount = apps.get_model("accounts", "Account")
    OldAccount.objects.create(external_id="BAD-NUMBER", name="A", corporate_number="12345")
    deal_account = OldAccount.objects.create(external_id="OK", name="B", corporate_number="7000012050002")
    apps.get_model("accounts", "Opportunity").objects.create(
        external_id="BACKWARDS", account=deal_account, opened_on=dt.date(2026, 7, 10), closed_on=dt.date(2026, 7, 1))
    with pytest.raises(RuntimeError) as exc:
        migrate_to_latest()
    assert "1 accounts whose corporate number is not 13 digits (external ids BAD-NUMBER)" in str(exc.value)
    assert "1 deals that close before they open (external ids BACKWARDS)" in str(exc.value)
    OldAccount.objects.filter(external_id="BAD-NUMBER").update(corporate_number="")
    apps.get_model("accounts", "Opportunity").objects.filter(external_id="BACKWARDS").update(closed_on=None)
    migrate_to_latest()
    assert Account.objects.get(external_id="BAD-NUMBER").corporate_number == ""
