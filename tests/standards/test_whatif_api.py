"""POST /api/v1/standards/preview/ (docs/api.md §5, "What-if"): managers and admins as for PUT standards/STATE/,
the proposal validated as PUT validates it, the answer the what-if's."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from core.choices import Role
from core.permissions import MANAGERS
from engine.services import recompute_all
from tests.engine import nights
from tests.web.access import ALL_ROLES

pytestmark = pytest.mark.django_db
URL = "/api/v1/standards/preview/"
TIGHTER = {"standards": {"ACTIVE": [{"code": "human", "kind": "human", "min_count": 2, "window_days": 7,
                                     "responsible_role": "sales", "performer_roles": []}]}}


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def night():
    nights.seed_configuration()
    nights.build(accounts=12, seed=3)
    recompute_all(as_of=nights.D)


def test_anonymous_is_refused(api, night):
    assert api.post(URL, TIGHTER, format="json").status_code in (401, 403)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_managers_and_admins_may_preview(api, personas, night, role):
    api.force_authenticate(personas[role])
    response = api.post(URL, TIGHTER, format="json")
    assert response.status_code == (200 if role in MANAGERS else 403)


def test_the_answer_compares_the_next_night_with_and_without_the_proposal(api, manager, night):
    api.force_authenticate(manager)
    data = api.post(URL, TIGHTER, format="json").json()
    assert data["as_of"] == (nights.D + dt.timedelta(days=1)).isoformat()
    assert data["changed_states"] == ["ACTIVE"]
    for side in ("current", "proposed"):
        assert {"under_covered_accounts", "alerts_by_role", "alerts_by_owner", "compliance_by_state"} <= set(data[side])
        assert set(data[side]["alerts_by_owner"]) <= {"night-sales", "night-csm", "night-is"}
    assert data["proposed"]["alerts_by_role"].get(Role.SALES, 0) >= data["current"]["alerts_by_role"].get(Role.SALES, 0)


@pytest.mark.parametrize(("body", "message"), [
    ({}, "standards: This field is required."),
    ({"standards": []}, "must be an object"),
    ({"standards": {"NOPE": []}}, "NOPE: unknown state"),
    ({"standards": {"LOYAL": "x"}}, "LOYAL: must be a list of requirements"),
    ({"standards": {"LOYAL": [7]}}, "LOYAL.requirements[0]: must be an object"),
    ({"standards": {"LOYAL": [dict(TIGHTER["standards"]["ACTIVE"][0], kind="pigeon")]}},
     "LOYAL.requirements[0].kind: must be human or digital"),
    ({"standards": {"ACTIVE": [TIGHTER["standards"]["ACTIVE"][0], dict(TIGHTER["standards"]["ACTIVE"][0],
                                                                       code="x", window_days=0)]}},
     "ACTIVE.requirements[1].window_days: must be a whole number from 1 to 3650"),
])
def test_bad_proposals_are_refused_naming_state_index_and_field(api, manager, night, body, message):
    api.force_authenticate(manager)
    # In English (tests/standards/test_service_messages.py reads them in Japanese).
    response = api.post(URL, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    flat = "; ".join(f"{field}: {m}" if m == "This field is required." else m
                     for field, messages in response.json().items() for m in messages)
    assert message in flat


def test_the_schema_documents_the_preview(api, manager):
    api.force_authenticate(manager)
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/standards/preview/" in schema and "alerts_by_owner" in schema
