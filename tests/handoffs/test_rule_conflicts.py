"""Handoff rules through the API: written by handoffs.services (audited, versioned); two managers saving the same
rule (docs/api.md §5, "Versions and conflicts")."""

import pytest
from rest_framework.test import APIClient

from core.models import AuditEntry
from handoffs.models import HandoffRule

pytestmark = pytest.mark.django_db

RULE = {"order": 99, "name": "x", "to_state": "LEAD", "from_role": "marketing", "to_role": "inside_sales",
        "model": "baton", "sla_business_hours": 8}


def test_two_managers_saving_one_rule_the_stale_one_gets_412_and_nothing_is_overwritten(manager, admin_user):
    first, second = APIClient(), APIClient()
    first.force_authenticate(manager)
    second.force_authenticate(admin_user)
    created = first.post("/api/v1/handoff-rules/", RULE, format="json")
    assert created.status_code == 201 and created.json()["version"] == 1
    url = f"/api/v1/handoff-rules/{created.json()['id']}/"
    read = second.get(url)
    assert read["ETag"] == 'W/"1"'
    assert first.patch(url, {"sla_business_hours": 12}, format="json", HTTP_IF_MATCH='W/"1"').status_code == 200
    stale = second.put(url, dict(RULE, name="renamed"), format="json", HTTP_IF_MATCH=read["ETag"])
    assert stale.status_code == 412 and stale["ETag"] == 'W/"2"'
    assert stale.json()["changes"][0] == {**stale.json()["changes"][0], "by": "mia", "fields": ["sla_business_hours"]}
    assert second.delete(url, HTTP_IF_MATCH='W/"1"').status_code == 412
    rule = HandoffRule.objects.get(pk=created.json()["id"])
    assert (rule.name, rule.sla_business_hours, rule.version) == ("x", 12, 2)
    fresh = second.put(url, dict(RULE, name="renamed", sla_business_hours=12, version=2), format="json")
    assert fresh.status_code == 200 and fresh.json()["version"] == 3 and fresh["ETag"] == 'W/"3"'
    assert second.delete(url, HTTP_IF_MATCH='W/"3"').status_code == 204
    assert not HandoffRule.objects.filter(pk=created.json()["id"]).exists()
    assert list(AuditEntry.objects.filter(object_type="handoff_rule").order_by("id").values_list("action", flat=True)) == [
        "handoff_rule.create", "handoff_rule.update", "handoff_rule.update", "handoff_rule.delete"]


def test_a_rule_write_without_a_version_is_not_checked_and_a_bad_one_answers_400(manager):
    api = APIClient()
    api.force_authenticate(manager)
    pk = api.post("/api/v1/handoff-rules/", RULE, format="json").json()["id"]
    url = f"/api/v1/handoff-rules/{pk}/"
    assert api.patch(url, {"name": "a"}, format="json").status_code == 200
    assert api.patch(url, {"name": "b", "version": "two"}, format="json").status_code == 400
    assert api.patch(url, {"sla_business_hours": 0}, format="json").status_code == 400
    assert HandoffRule.objects.get(pk=pk).name == "a"
