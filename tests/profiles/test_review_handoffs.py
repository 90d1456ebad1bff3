"""The ICP review page's "Handoffs by ICP tier" (docs/rules.md §8, "Handoff feedback"): for marketing (and the other
readers of the handoff feedback), the profile's handoffs in a period by tier — acceptance rate, count, top reason —
and one sentence, linking to the feedback page for the same period."""

import datetime as dt

import pytest
from django.urls import reverse

from core.choices import Role
from handoffs.feedback_views import FEEDBACK_ROLES
from profiles.services import profile_save
from tests.handoffs.helpers import at, make_handoff, person
from tests.handoffs.test_feedback_page import english, feedback_data

pytestmark = pytest.mark.django_db
PERIOD = {"from": "2026-07-13", "to": "2026-07-19"}


@pytest.fixture
def profile(monkeypatch):
    version = profile_save(name="Makers", rescore=False, criteria=[
        {"attribute": "industry", "op": "eq", "value": "manufacturing", "weight": 100}])
    # Handoffs 1 and 2 (tier A) accepted; 3 (tier C) rejected not_icp; 4 (tier C) pending: this profile's. Handoff 5
    # (tier C, rejected no_budget) has no profile: not counted here.
    feedback_data(monkeypatch, profile=version.profile)
    return version.profile


def review(client, user, profile, query=PERIOD):
    client.force_login(english(user))
    return client.get(reverse("profiles:review", args=[profile.pk]), query)


def test_marketing_sees_the_handoffs_by_tier_and_the_sentence(client, marketer, profile):
    response = review(client, marketer, profile)
    assert response.status_code == 200
    block = response.context["handoff_tiers"]
    assert [(r.label, r.figures["handoffs"], r.acceptance_pct, r.top_reason) for r in block["rows"]] == [
        ("Tier A", 2, 100.0, None), ("Tier C", 2, 0.0, "Not our ideal customer")]
    assert block["summary"] == "Handoffs from tier A accepted 100 %, tier C 0 %; top reason: Not our ideal customer"
    page = response.content.decode()
    assert "Handoffs from tier A accepted 100 %, tier C 0 %; top reason: Not our ideal customer" in page
    assert f'{reverse("handoffs:feedback")}?from=2026-07-13&amp;to=2026-07-19' in page


def test_a_tier_without_decisions_is_left_out_of_the_sentence(client, manager, monkeypatch):
    version = profile_save(name="Small", rescore=False, criteria=[
        {"attribute": "industry", "op": "eq", "value": "retail", "weight": 100}])
    receiver = person("r1", Role.SALES)
    make_handoff(rule=2, created_on=dt.date(2026, 7, 14), assignee=receiver, icp_tier="B",
                 icp_profile=version.profile, status="rejected", reason="bad_timing", decided_by=receiver,
                 decided_at=at(2026, 7, 14, 12), decision_business_hours=3.0)
    make_handoff(rule=2, created_on=dt.date(2026, 7, 14), assignee=receiver, icp_tier="A", icp_profile=version.profile)
    block = review(client, manager, version.profile).context["handoff_tiers"]
    assert block["summary"] == "Handoffs from tier B accepted 0 %; top reason: Bad timing"
    assert [(r.label, r.acceptance_pct) for r in block["rows"]] == [("Tier A", None), ("Tier B", 0.0)]


def test_the_block_is_for_the_readers_of_the_feedback(client, personas, profile):
    for role, user in personas.items():
        response = review(client, user, profile)
        assert response.status_code == 200, role
        shown = response.context["handoff_tiers"] is not None
        assert shown == (role in FEEDBACK_ROLES), role
        assert ("Handoffs by ICP tier" in response.content.decode()) == shown, role


def test_a_bad_period_names_the_field_and_shows_no_figures(client, marketer, profile):
    response = review(client, marketer, profile, {"from": "2026-07-20", "to": "2026-07-19"})
    assert response.status_code == 200  # the rest of the review page still shows
    block = response.context["handoff_tiers"]
    assert block["rows"] is None and "The period must start on or before its end" in response.content.decode()
    response = review(client, marketer, profile, {"from": "13/07/2026"})
    assert "From: Enter a valid date." in response.content.decode()


def test_an_empty_period_says_so(client, marketer, profile):
    response = review(client, marketer, profile, {"from": "2025-01-01", "to": "2025-01-31"})
    assert "accounts were created in this period." in response.content.decode()
    assert response.context["handoff_tiers"]["summary"] is None


def test_the_block_takes_a_fixed_number_of_queries(client, marketer, profile, django_assert_num_queries):
    url = reverse("profiles:review", args=[profile.pk])
    client.force_login(english(marketer))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url, PERIOD)
    for i in range(30):
        make_handoff(rule=2, created_on=dt.date(2026, 7, 14), icp_tier="ABC"[i % 3], icp_profile=profile,
                     status="accepted", decided_at=at(2026, 7, 14, 15), decision_business_hours=6.0)
    with django_assert_num_queries(len(few)):
        response = client.get(url, PERIOD)
    assert sum(r.figures["handoffs"] for r in response.context["handoff_tiers"]["rows"]) == 34


def test_searching_an_account_keeps_the_chosen_period(client, marketer, profile):
    page = review(client, marketer, profile).content.decode()
    assert '<input type="hidden" name="from" value="2026-07-13">' in page
    assert '<input type="hidden" name="to" value="2026-07-19">' in page
