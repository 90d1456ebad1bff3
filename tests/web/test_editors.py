"""Standards editor and state settings: access by role, what-if preview, versioned saves."""

import datetime as dt

import pytest

from core.choices import Role
from core.timeutil import business_today
from engine.services import recompute_all
from segments.models import StateThresholds
from standards.models import Requirement, Standard, StandardChange
from tests.factories import AccountFactory, LeadFactory, OpportunityFactory, TouchFactory
from tests.web.access import assert_page_access

pytestmark = pytest.mark.django_db
MANAGERS = (Role.MANAGER, Role.ADMIN)


def editor_post(standards, action, overrides=None):
    """The editor's form data for the current standards, with some requirements overridden."""
    data = {"action": action}
    for standard in standards:
        reqs = list(standard.requirements.order_by("order", "id"))
        prefix = standard.state
        data.update({f"{prefix}-TOTAL_FORMS": str(len(reqs) + 1), f"{prefix}-INITIAL_FORMS": str(len(reqs)),
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
        for i, r in enumerate(reqs):
            values = {"code": r.code, "kind": r.kind, "min_count": r.min_count, "window_days": r.window_days,
                      "responsible_role": r.responsible_role}
            values.update((overrides or {}).get((standard.state, r.code), {}))
            for k, v in values.items():
                data[f"{prefix}-{i}-{k}"] = str(v)
            if r.performer_roles:
                data[f"{prefix}-{i}-performer_roles"] = r.performer_roles
        # The blank row for a new requirement: a browser posts its selects' first options.
        data[f"{prefix}-{len(reqs)}-kind"] = "human"
        data[f"{prefix}-{len(reqs)}-responsible_role"] = "admin"
    return data


@pytest.mark.parametrize("url", ["/standards/", "/states/settings/"])
def test_editors_are_for_managers_only(client, personas, url):
    assert_page_access(client, personas, url, MANAGERS)


def test_preview_shows_tomorrows_alerts_with_the_change_and_saves_nothing(client, manager):
    today = business_today()
    account = AccountFactory()
    OpportunityFactory(account=account, opened_on=today - dt.timedelta(days=30))
    TouchFactory(account=account, occurred_at=dt.datetime.combine(today - dt.timedelta(days=3), dt.time(10), tzinfo=dt.timezone.utc),
                 occurred_on=today - dt.timedelta(days=3))
    recompute_all(as_of=today)
    client.force_login(manager)
    standards = Standard.objects.all()
    response = client.post("/standards/", editor_post(standards, "preview", {("NEGOTIATION", "human"): {"min_count": 2}}))
    assert response.status_code == 200
    preview = response.context["preview"]
    assert (preview.current.under_covered_accounts, preview.proposed.under_covered_accounts) == (0, 1)
    assert ("sales", 0, 1, 1) in preview.rows
    assert Requirement.objects.get(standard__state="NEGOTIATION").min_count == 1
    assert not StandardChange.objects.exists()


def test_saving_versions_the_changed_standard_with_who_and_what(client, manager):
    client.force_login(manager)
    response = client.post("/standards/", editor_post(Standard.objects.all(), "save", {("ACTIVE", "human"): {"window_days": 21}}))
    assert response.status_code == 302
    change = StandardChange.objects.get()
    assert (change.standard.state, change.version, change.changed_by) == ("ACTIVE", 2, manager)
    assert change.after["requirements"][0]["window_days"] == 21 and change.before["requirements"][0]["window_days"] == 30
    assert "ACTIVE" in client.get("/standards/").content.decode()


def test_invalid_requirements_are_shown_next_to_the_field(client, manager):
    client.force_login(manager)
    response = client.post("/standards/", editor_post(Standard.objects.all(), "save", {("LEAD", "digital"): {"window_days": 0}}))
    assert response.status_code == 400
    assert "greater than or equal to 1" in response.content.decode() or "1 以上" in response.content.decode()
    assert not StandardChange.objects.exists()


def test_state_settings_preview_and_save(client, manager):
    today = business_today()
    account = AccountFactory()
    LeadFactory(account=account, created_on=today - dt.timedelta(days=5), score=60)
    recompute_all(as_of=today)
    client.force_login(manager)
    data = {"churn_after_days": 365, "onboarding_days": 183, "loyal_min_tenure_days": 730, "loyal_min_won_deals": 3,
            "hot_lead_min_score": 60, "high_potential_min_fit": 70}
    preview = client.post("/states/settings/", dict(data, action="preview")).context["preview"]
    # Tomorrow it would be a hot lead instead: the marketing alert closes and, having just moved, the account
    # is in grace for its new human requirement, so no alert replaces it yet.
    assert preview.current.alerts_by_role == {"marketing": 1}
    assert preview.proposed.alerts_by_role == {}
    assert (preview.current.under_covered_accounts, preview.proposed.under_covered_accounts) == (1, 0)
    assert StateThresholds.load().hot_lead_min_score == 70
    assert client.post("/states/settings/", dict(data, action="save")).status_code == 302
    assert StateThresholds.load().hot_lead_min_score == 60
    bad = client.post("/states/settings/", dict(data, hot_lead_min_score=130, action="save"))
    assert bad.status_code == 400 and StateThresholds.load().hot_lead_min_score == 60
