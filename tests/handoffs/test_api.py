"""The handoff API (docs/api.md, docs/rules.md §8): accept and reject by the receiver or a manager (404 to anyone
else), reasons checked naming the field, the handoff alerts, and the feedback figures."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from core.choices import Role
from handoffs.models import Handoff, HandoffAlert
from tests.factories import AccountFactory
from tests.handoffs.helpers import make_handoff, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def people():
    return {"inside": person("ines1", Role.INSIDE_SALES), "receiver": person("sales2", Role.SALES),
            "other": person("sales3", Role.SALES), "manager": person("boss", Role.MANAGER)}


@pytest.fixture
def handoff(people):
    account = AccountFactory(owner_inside_sales=people["inside"])
    return make_handoff(rule=2, account=account, assignee=people["receiver"])


def url(handoff, action):
    return f"/api/v1/handoffs/{handoff.id}/{action}/"


def test_anonymous_requests_are_refused_401(api, handoff):
    assert api.post(url(handoff, "accept")).status_code == 401
    assert api.post(url(handoff, "reject"), {"reason": "other"}, format="json").status_code == 401
    assert api.get("/api/v1/handoffs/feedback/").status_code == 401
    assert api.get("/api/v1/handoff-alerts/").status_code == 401


def test_the_receiver_accepts_and_becomes_the_owner(api, people, handoff):
    api.force_authenticate(people["receiver"])
    response = api.post(url(handoff, "accept"))
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decided_by"]) == ("accepted", "sales2")
    handoff.account.refresh_from_db()
    assert (handoff.account.owner_sales, handoff.account.lead_role) == (people["receiver"], "sales")
    assert api.post(url(handoff, "accept")).status_code == 400  # decided once


def test_another_receiver_of_the_same_role_gets_404_and_nothing_changes(api, people, handoff):
    api.force_authenticate(people["other"])
    assert api.post(url(handoff, "accept")).status_code == 404
    assert api.post(url(handoff, "reject"), {"reason": "other"}, format="json").status_code == 404
    assert api.get(f"/api/v1/handoffs/{handoff.id}/").status_code == 404
    assert api.post("/api/v1/handoffs/999999/accept/").status_code == 404  # missing: the same answer
    assert Handoff.objects.get(id=handoff.id).status == "pending"


def test_a_manager_may_decide_any_handoff(api, people, handoff):
    api.force_authenticate(people["manager"])
    response = api.post(url(handoff, "reject"), {"reason": "wrong_contact", "comment": "call the CFO"}, format="json")
    assert response.status_code == 200
    assert (response.json()["reason"], response.json()["comment"]) == ("wrong_contact", "call the CFO")


@pytest.mark.parametrize("reason", list(Handoff.RejectReason.values))
def test_the_receiver_rejects_with_each_reason_and_the_sender_gets_a_returned_alert(api, people, handoff, reason):
    api.force_authenticate(people["receiver"])
    response = api.post(url(handoff, "reject"), {"reason": reason, "comment": "FY budget frozen"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    api.force_authenticate(people["inside"])
    [alert] = api.get("/api/v1/handoff-alerts/").json()["results"]
    assert (alert["kind"], alert["recipient"], alert["reason"], alert["comment"], alert["status"]) == (
        "returned", "ines1", reason, "FY budget frozen", "open")
    acknowledged = api.post(f"/api/v1/handoff-alerts/{alert['id']}/acknowledge/")
    assert acknowledged.status_code == 200 and acknowledged.json()["status"] == "resolved"


@pytest.mark.parametrize("body", [{"reason": "not_ready"}, {"reason": ""}, {}, {"reason": 3}])
def test_a_bad_reason_is_refused_400_naming_the_field(api, people, handoff, body):
    api.force_authenticate(people["receiver"])
    response = api.post(url(handoff, "reject"), body, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    assert Handoff.objects.get(id=handoff.id).status == "pending"


def test_handoff_alerts_are_their_recipients_and_not_coverage_alerts(api, people, handoff):
    api.force_authenticate(people["receiver"])
    api.post(url(handoff, "reject"), {"reason": "no_budget"}, format="json")
    alert = HandoffAlert.objects.get()
    assert api.get("/api/v1/handoff-alerts/").json()["results"] == []  # not addressed to the receiver
    assert api.post(f"/api/v1/handoff-alerts/{alert.id}/acknowledge/").status_code == 404
    assert api.get("/api/v1/alerts/").json()["results"] == []  # coverage alerts only
    api.force_authenticate(people["manager"])
    assert len(api.get("/api/v1/handoff-alerts/").json()["results"]) == 1


def test_the_feedback_figures_over_a_period(api, people, handoff):
    api.force_authenticate(people["receiver"])
    api.post(url(handoff, "accept"))
    api.force_authenticate(people["manager"])  # the figures are for managers, admins, marketing and executives
    response = api.get("/api/v1/handoffs/feedback/", {"start": "2026-07-13", "end": "2026-07-17"})
    assert response.status_code == 200
    data = response.json()
    assert (data["overall"]["handoffs"], data["overall"]["accepted"], data["overall"]["acceptance_rate"]) == (1, 1, 1.0)
    assert [g["key"] for g in data["by_receiver"]] == ["sales2"]
    assert set(data) == {"start", "end", "overall", "by_rule", "by_sender", "by_receiver", "by_icp_profile",
                         "by_icp_tier", "by_lead_source"}


def test_the_feedback_period_defaults_to_the_last_30_days_and_is_checked(api, people):
    api.force_authenticate(people["manager"])
    data = api.get("/api/v1/handoffs/feedback/").json()
    assert dt.date.fromisoformat(data["end"]) - dt.date.fromisoformat(data["start"]) == dt.timedelta(days=29)
    bad = api.get("/api/v1/handoffs/feedback/", {"start": "July"})
    assert bad.status_code == 400 and "start" in bad.json()
    # A read refuses nothing its schema allows: a start after the end is an empty period.
    reversed_ = api.get("/api/v1/handoffs/feedback/", {"start": "2026-07-17", "end": "2026-07-13"})
    assert reversed_.status_code == 200 and reversed_.json()["overall"]["handoffs"] == 0
    assert api.get("/api/v1/handoffs/feedback/", {"end": "0001-01-02"}).json()["start"] == "0001-01-01"
