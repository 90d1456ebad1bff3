import pytest
from django.urls import reverse

from core.models import BusinessSettings
from handoffs.models import HandoffRule
from segments.models import Segment, StateThresholds
from standards.models import Requirement

pytestmark = pytest.mark.django_db


def test_default_standard_is_loaded_from_the_seed_table():
    rows = {
        (r.standard.state, r.code): (r.kind, r.min_count, r.window_days, r.responsible_role, r.performer_roles)
        for r in Requirement.objects.select_related("standard")
    }
    assert rows[("LOYAL", "executive")] == ("human", 1, 365, "csm", ["executive"])
    assert rows[("HIGH_POTENTIAL_LEAD", "digital")] == ("digital", 2, 30, "marketing", [])
    assert rows[("ONBOARDING", "human")] == ("human", 1, 7, "csm", [])
    assert len(rows) == 10


def test_states_thresholds_and_rules_have_their_defaults():
    assert list(Segment.objects.values_list("code", flat=True))[:3] == ["ONBOARDING", "LOYAL", "ACTIVE"]
    assert Segment.objects.count() == 10
    t = StateThresholds.load()
    assert (t.churn_after_days, t.onboarding_days, t.loyal_min_tenure_days, t.loyal_min_won_deals,
            t.hot_lead_min_score, t.high_potential_min_fit) == (365, 183, 730, 3, 70, 70)
    assert BusinessSettings.load().time_zone == "Asia/Tokyo"
    assert [r.to_state for r in HandoffRule.objects.all()] == [
        "HOT_LEAD", "NEGOTIATION", "ONBOARDING", "ACTIVE", "LOYAL", "CHURNED"]


def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_has_username_and_password_fields(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content and b'name="password"' in response.content


def test_user_can_log_in_with_username_and_password(client, sales):
    response = client.post("/login/", {"username": "sora", "password": "pw"})
    assert response.status_code == 302
