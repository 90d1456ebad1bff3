"""Standards editor and state settings: access by role, what-if preview, versioned saves."""

import datetime as dt

import pytest

from core.choices import Role
from core.timeutil import business_today
from engine.services import recompute_all
from segments.models import StateThresholds
from standards.models import Requirement, StandardChange
from tests.factories import AccountFactory, LeadFactory, OpportunityFactory, TouchFactory
from tests.web.access import assert_page_access

pytestmark = pytest.mark.django_db
MANAGERS = (Role.MANAGER, Role.ADMIN)


def cell_post(state, code, *, version=1, **changes):
    """The standards table's form for one requirement cell (standards.views.RequirementCellView), as opened now."""
    r = Requirement.objects.get(standard__state=state, code=code)
    values = {"code": r.code, "kind": r.kind, "min_count": r.min_count, "window_days": r.window_days,
              "responsible_role": r.responsible_role, "performer_roles": r.performer_roles,
              "content_stage": r.content_stage, "channel": r.channel, **changes}
    return {**{f"{state}-{code}-{k}": v for k, v in values.items()}, "version": str(version), "comment": ""}


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
    response = client.post("/standards/NEGOTIATION/requirements/human/edit/",
                           {**cell_post("NEGOTIATION", "human", min_count=2), "action": "preview"})
    assert response.status_code == 200
    whatif = response.context["whatif"]
    assert (whatif["current"]["under_covered_accounts"], whatif["proposed"]["under_covered_accounts"]) == (0, 1)
    assert (whatif["current"]["alerts_by_role"].get("sales", 0), whatif["proposed"]["alerts_by_role"]["sales"]) == (0, 1)
    assert Requirement.objects.get(standard__state="NEGOTIATION").min_count == 1
    assert not StandardChange.objects.exists()


def test_saving_versions_the_changed_standard_with_who_and_what(client, manager):
    client.force_login(manager)
    response = client.post("/standards/ACTIVE/requirements/human/edit/", cell_post("ACTIVE", "human", window_days=21))
    assert response.status_code == 303
    change = StandardChange.objects.get()
    assert (change.standard.state, change.version, change.changed_by) == ("ACTIVE", 2, manager)
    assert change.after["requirements"][0]["window_days"] == 21 and change.before["requirements"][0]["window_days"] == 30
    assert "ACTIVE" in client.get("/standards/").content.decode()


def test_invalid_requirements_are_shown_next_to_the_field(client, manager):
    client.force_login(manager)
    response = client.post("/standards/LEAD/requirements/digital/edit/", cell_post("LEAD", "digital", window_days=0))
    assert response.status_code == 400
    assert "greater than or equal to 1" in response.content.decode() or "1 以上" in response.content.decode()
    assert not StandardChange.objects.exists()


def test_state_settings_preview_and_save(client, manager, django_capture_on_commit_callbacks):
    today = business_today()
    account = AccountFactory()
    LeadFactory(account=account, created_on=today - dt.timedelta(days=5), score=60)
    recompute_all(as_of=today)
    client.force_login(manager)
    data = {"churn_after_days": 365, "onboarding_days": 183, "loyal_min_tenure_days": 730, "loyal_min_won_deals": 3,
            "hot_lead_min_score": 60, "high_potential_min_fit": 70}
    # The preview is a job (segments.threshold_preview); without a broker it runs as the request commits.
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/states/settings/", dict(data, action="preview"))
    preview = client.get("/states/settings/").context["job"].result
    # Tomorrow it would be a hot lead instead: the marketing alert closes and, having just moved, the account
    # is in grace for its new human requirement, so no alert replaces it yet.
    assert preview["current"]["alerts_by_role"] == {"marketing": 1}
    assert preview["proposed"]["alerts_by_role"] == {}
    assert (preview["current"]["under_covered_accounts"], preview["proposed"]["under_covered_accounts"]) == (1, 0)
    assert preview["flow"] == [{"from": "LEAD", "to": "HOT_LEAD", "accounts": 1}]
    assert StateThresholds.load().hot_lead_min_score == 70
    assert client.post("/states/settings/", dict(data, action="save")).status_code == 302
    assert StateThresholds.load().hot_lead_min_score == 60
    bad = client.post("/states/settings/", dict(data, hot_lead_min_score=130, action="save"))
    assert bad.status_code == 400 and StateThresholds.load().hot_lead_min_score == 60
