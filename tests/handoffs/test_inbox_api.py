"""The inbox's actions through the API (docs/rules.md §8): accept and reject with ownership by model and each reason,
the rejection back to the sender, reassign (managers), who may; the list's filters shared with the page."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.choices import Role
from core.models import AuditEntry
from handoffs.models import Handoff, HandoffAlert
from tests.factories import AccountFactory
from tests.handoffs.helpers import make_handoff, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {
        "sales1": person("sales1", Role.SALES, "east"), "sales2": person("sales2", Role.SALES, "west"),
        "ines": person("ines", Role.INSIDE_SALES, "east"), "csm1": person("csm1", Role.CSM, "east"),
        "boss": person("boss", Role.MANAGER, "east"),
    }


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_baton_accept_through_the_api(people):
    account = AccountFactory(owner_inside_sales=people["ines"], lead_role="inside_sales")
    handoff = make_handoff(rule=2, account=account, assignee=people["sales1"], sender=people["ines"])
    response = as_user(people["sales1"]).post(f"/api/v1/handoffs/{handoff.id}/accept/")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    account.refresh_from_db()
    assert (account.owner_sales, account.lead_role, account.supporting_owner) == (people["sales1"], "sales", None)


def test_three_legged_accept_through_the_api_keeps_the_sender_as_support(people):
    account = AccountFactory(owner_sales=people["sales1"])
    handoff = make_handoff(rule=3, account=account, sender=people["sales1"])  # unassigned, to csm
    assert as_user(people["csm1"]).post(f"/api/v1/handoffs/{handoff.id}/accept/").status_code == 200
    account.refresh_from_db()
    assert (account.owner_csm, account.lead_role, account.supporting_owner) == (people["csm1"], "csm", people["sales1"])


@pytest.mark.parametrize("reason", Handoff.RejectReason.values)
def test_reject_through_the_api_with_each_reason_goes_back_to_the_sender(people, reason):
    account = AccountFactory(owner_inside_sales=people["ines"])
    handoff = make_handoff(rule=2, account=account, assignee=people["sales1"], sender=people["ines"])
    response = as_user(people["sales1"]).post(f"/api/v1/handoffs/{handoff.id}/reject/",
                                              {"reason": reason, "comment": "FY budget frozen"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reason"]) == ("rejected", reason)
    account.refresh_from_db()
    assert (account.owner_sales, account.owner_inside_sales) == (None, people["ines"])
    alert = HandoffAlert.objects.get(handoff=handoff)
    assert (alert.kind, alert.recipient, alert.reason, alert.comment) == (
        "returned", people["ines"], reason, "FY budget frozen")
    alerts = as_user(people["ines"]).get("/api/v1/handoff-alerts/?status=open").json()["results"]
    assert [a["id"] for a in alerts] == [alert.id]


def test_a_manager_reassigns_through_the_api_by_username(people):
    handoff = make_handoff(rule=2)
    response = as_user(people["boss"]).post(f"/api/v1/handoffs/{handoff.id}/reassign/", {"assignee": "sales2"},
                                            format="json")
    assert response.status_code == 200 and response.json()["assignee"] == "sales2"
    assert AuditEntry.objects.filter(action="handoff.reassigned", object_id=str(handoff.id)).count() == 1
    # The new receiver may decide it now; the other sales rep no longer.
    assert as_user(people["sales1"]).post(f"/api/v1/handoffs/{handoff.id}/accept/").status_code == 404
    assert as_user(people["sales2"]).post(f"/api/v1/handoffs/{handoff.id}/accept/").status_code == 200


def test_reassign_refuses_a_person_of_another_role_an_unknown_one_and_a_decided_handoff(people):
    handoff = make_handoff(rule=2)
    boss = as_user(people["boss"])
    url = f"/api/v1/handoffs/{handoff.id}/reassign/"
    for body in ({"assignee": "csm1"}, {"assignee": "nobody-such"}, {}, {"assignee": 7}):
        response = boss.post(url, body, format="json")
        assert response.status_code == 400 and "assignee" in str(response.json()), body
    Handoff.objects.filter(pk=handoff.pk).update(status=Handoff.Status.SUPERSEDED)
    response = boss.post(url, {"assignee": "sales2"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["detail"]  # "no longer pending"
    assert Handoff.objects.get(pk=handoff.pk).assignee is None
    assert not AuditEntry.objects.filter(action="handoff.reassigned").exists()


def test_only_managers_and_admins_reassign_others_get_404_anonymous_401(people, personas):
    handoff = make_handoff(rule=2)
    url = f"/api/v1/handoffs/{handoff.id}/reassign/"
    assert APIClient().post(url, {"assignee": "sales2"}, format="json").status_code in (401, 403)
    for role, user in personas.items():
        response = as_user(user).post(url, {"assignee": "sales2"}, format="json")
        assert response.status_code == (200 if role in (Role.MANAGER, Role.ADMIN) else 404), role


def test_decisions_by_the_receiver_or_a_manager_only(people, personas):
    handoff = make_handoff(rule=2, assignee=people["sales1"])
    url = f"/api/v1/handoffs/{handoff.id}/reject/"
    assert APIClient().post(url, {"reason": "other"}, format="json").status_code in (401, 403)
    other_receiver = as_user(people["sales2"])
    assert other_receiver.post(url, {"reason": "other"}, format="json").status_code == 404
    for role in (Role.CSM, Role.INSIDE_SALES, Role.MARKETING, Role.EXECUTIVE):
        assert as_user(personas[role]).post(url, {"reason": "other"}, format="json").status_code == 404, role
    assert as_user(people["boss"]).post(url, {"reason": "not_a_reason"}, format="json").status_code == 400
    assert as_user(people["boss"]).post(url, {"reason": "other"}, format="json").status_code == 200


def test_the_api_list_filters_as_the_page_does(people):
    queued = make_handoff(rule=2, sender=people["ines"])
    mine = make_handoff(rule=2, assignee=people["sales1"])
    sent = make_handoff(rule=3, assignee=people["csm1"], sender=people["sales1"])
    boss = as_user(people["boss"])

    def ids(query: str) -> set[int]:
        response = boss.get(f"/api/v1/handoffs/?{query}")
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids("receiver=none") == {queued.id}
    assert ids(f"receiver={people['sales1'].id}") == {mine.id}
    assert ids(f"sender={people['sales1'].id}") == {sent.id}
    assert ids("rule=sales-to-csm-onboarding") == {sent.id}
    assert ids("state=NEGOTIATION") == {queued.id, mine.id}
    assert boss.get("/api/v1/handoffs/?receiver=someone").status_code == 400
