"""Two managers saving the state thresholds (docs/api.md §5, "Versions and conflicts")."""

import pytest
from rest_framework.test import APIClient

from core.models import AuditEntry
from segments.models import StateThresholds
from segments.services import THRESHOLD_FIELDS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(manager, admin_user):
    """Messages are read in English here (the default language is Japanese)."""
    for user in (manager, admin_user):
        user.language = "en"
        user.save(update_fields=["language"])


def opened_form(**changes):
    thresholds = StateThresholds.load()
    data = {f: str(getattr(thresholds, f)) for f in THRESHOLD_FIELDS}
    data.update({k: str(v) for k, v in changes.items()})
    return {**data, "version": str(thresholds.version), "action": "save"}


def test_a_stale_settings_page_is_refused_and_the_fresh_one_saves(client, manager, admin_user):
    first = opened_form(hot_lead_min_score=60)
    second = opened_form(onboarding_days=100)  # opened at the same time, from the old values
    client.force_login(manager)
    assert client.post("/states/settings/", first).status_code == 302
    client.force_login(admin_user)
    response = client.post("/states/settings/", second)
    assert response.status_code == 409
    text = response.content.decode()
    assert "mia" in text and "hot_lead_min_score" in text and "Nothing was saved" in text
    assert response.context["form"]["onboarding_days"].value() == "100"  # the input, shown again
    thresholds = StateThresholds.load()
    assert (thresholds.hot_lead_min_score, thresholds.onboarding_days, thresholds.version) == (60, 183, 2)
    assert client.post("/states/settings/", opened_form(onboarding_days=100)).status_code == 302
    thresholds = StateThresholds.load()
    assert (thresholds.hot_lead_min_score, thresholds.onboarding_days, thresholds.version) == (60, 100, 3)
    assert AuditEntry.objects.filter(action="thresholds.update").count() == 2


def test_the_thresholds_api_answers_an_etag_and_refuses_a_stale_patch(manager, admin_user):
    first, second = APIClient(), APIClient()
    first.force_authenticate(manager)
    second.force_authenticate(admin_user)
    read = first.get("/api/v1/segments/thresholds/")
    assert read["ETag"] == 'W/"1"' and read.json()["version"] == 1
    saved = first.patch("/api/v1/segments/thresholds/", {"hot_lead_min_score": 65}, format="json",
                        HTTP_IF_MATCH=read["ETag"])
    assert saved.status_code == 200 and saved["ETag"] == 'W/"2"' and saved.json()["version"] == 2
    stale = second.patch("/api/v1/segments/thresholds/", {"hot_lead_min_score": 50, "version": 1}, format="json")
    assert stale.status_code == 412 and stale.json()["changes"][0]["by"] == "mia"
    assert second.patch("/api/v1/segments/thresholds/", {"onboarding_days": 90}, format="json",
                        HTTP_IF_MATCH='W/"1"').status_code == 412
    assert (StateThresholds.load().hot_lead_min_score, StateThresholds.load().onboarding_days) == (65, 183)
    fresh = second.patch("/api/v1/segments/thresholds/", {"onboarding_days": 90, "version": 2}, format="json")
    assert fresh.status_code == 200 and fresh["ETag"] == 'W/"3"'
    # Without a version the write is not checked, as before.
    assert second.patch("/api/v1/segments/thresholds/", {"onboarding_days": 91}, format="json").status_code == 200
    assert StateThresholds.load().version == 4
