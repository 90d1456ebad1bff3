"""Accounts written through the API: the serializer validates, accounts.services writes, an audit row says who
changed what; the answers keep their shape (docs/api.md §5)."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Account
from core.models import AuditEntry
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


def test_creating_an_account_writes_it_and_an_audit_row(api, manager):
    response = api.post("/api/v1/accounts/", {"external_id": "NEW-1", "name": "New Co", "employees": 120,
                                               "revenue_growth_pct": "3.50", "regions": ["kanto"]}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    account = Account.objects.get(external_id="NEW-1")
    assert body["id"] == account.pk and body["name"] == "New Co" and body["owner_sales"] is None
    entry = AuditEntry.objects.get(action="account.create")
    assert (entry.actor, entry.object_type, entry.object_id) == (manager, "account", str(account.pk))
    assert entry.before is None
    assert entry.after["name"] == "New Co" and entry.after["revenue_growth_pct"] == "3.50"


def test_updating_an_account_audits_the_fields_that_changed(api, manager):
    account = AccountFactory(external_id="ACC-7", name="Old name", industry="it")
    response = api.patch(f"/api/v1/accounts/{account.pk}/", {"name": "New name", "industry": "it"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "New name"
    account.refresh_from_db()
    assert account.name == "New name"
    entry = AuditEntry.objects.get(action="account.update")
    assert (entry.actor, entry.object_id) == (manager, str(account.pk))
    assert (entry.before, entry.after) == ({"name": "Old name"}, {"name": "New name"})


def test_an_update_that_changes_nothing_writes_no_audit_row(api):
    account = AccountFactory(name="Same")
    assert api.patch(f"/api/v1/accounts/{account.pk}/", {"name": "Same"}, format="json").status_code == 200
    assert not AuditEntry.objects.filter(action="account.update").exists()


def test_an_invalid_account_is_refused_and_nothing_is_written(api):
    AccountFactory(external_id="TAKEN")
    response = api.post("/api/v1/accounts/", {"external_id": "TAKEN", "name": "Twice"}, format="json")
    assert response.status_code == 400 and "external_id" in response.json()
    assert not AuditEntry.objects.exists()


def test_deleting_an_account_is_audited(api, manager):
    account = AccountFactory(external_id="GONE", name="Gone Co")
    assert api.delete(f"/api/v1/accounts/{account.pk}/").status_code == 204
    assert not Account.objects.filter(pk=account.pk).exists()
    entry = AuditEntry.objects.get(action="account.delete")
    assert entry.before == {"external_id": "GONE", "name": "Gone Co"} and entry.actor == manager
