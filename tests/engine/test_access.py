"""engine.access: the one way in to an alert. A missing alert and one the user may not act on answer alike (404),
for every role, through the helper, the pages, the API and the services."""

import datetime as dt

import pytest
from django.http import Http404
from django.urls import reverse
from rest_framework.test import APIClient

from core.choices import Role
from core.models import AuditEntry
from core.permissions import MANAGERS
from core.timeutil import business_today
from engine.access import access_alert, may_act_on_alert
from engine.alerts import alert_acknowledge, alert_snooze
from engine.models import Alert
from tests.web.access import ALL_ROLES, assert_object_action_access
from tests.web.factories import under_covered

pytestmark = pytest.mark.django_db

MISSING = 999_999


@pytest.fixture
def alert(sales):
    """An open alert assigned to the field-sales rep: only sales, managers and admins may act on it."""
    return under_covered(assignee=sales, name="Acme", opened_on=business_today())


def may_act(role: str) -> bool:
    return role in MANAGERS or role == Role.SALES


def refusal(**kwargs) -> str:
    with pytest.raises(Http404) as caught:
        access_alert(**kwargs)
    return str(caught.value)


def access_alert_or_none(user, alert):
    try:
        return access_alert(user=user, alert_id=alert.pk, for_action=True)
    except Http404:
        return None


@pytest.mark.parametrize("role", ALL_ROLES)
def test_a_role_that_may_not_act_is_told_what_a_missing_alert_tells(personas, alert, role):
    user = personas[role]
    missing = refusal(user=user, alert_id=MISSING, for_action=True)
    if may_act(role):
        assert access_alert(user=user, alert_id=alert.pk, for_action=True) == alert
        assert may_act_on_alert(user, alert)
    else:
        assert refusal(user=user, alert_id=alert.pk, for_action=True) == missing
        assert not may_act_on_alert(user, alert)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_role_may_read_an_alert_but_not_a_missing_one(personas, alert, role):
    assert access_alert(user=personas[role], alert_id=alert.pk).account.name == "Acme"
    refusal(user=personas[role], alert_id=MISSING)


def test_an_unassigned_alert_is_for_managers_to_act_on(personas):
    alert = under_covered(assignee=None, name="Nobody's", opened_on=business_today())
    allowed = {role for role in ALL_ROLES if access_alert_or_none(personas[role], alert) is not None}
    assert allowed == set(MANAGERS)


def test_the_services_refuse_with_the_same_404_and_write_nothing(csm, alert):
    until = business_today() + dt.timedelta(days=3)
    with pytest.raises(Http404):
        alert_acknowledge(alert_id=alert.pk, actor=csm)
    with pytest.raises(Http404):
        alert_snooze(alert_id=alert.pk, actor=csm, until=until)
    alert.refresh_from_db()
    assert (alert.acknowledged_at, alert.snoozed_until) == (None, None)
    assert not AuditEntry.objects.filter(object_type="alert").exists()


@pytest.mark.parametrize("action", ["engine:alert-acknowledge", "engine:alert-snooze"])
def test_the_pages_actions_answer_every_role_as_the_helper_does(client, personas, alert, action):
    data = {"until": (business_today() + dt.timedelta(days=3)).isoformat(), "next": "/today/"}
    allowed = [role for role in ALL_ROLES if may_act(role)]
    assert_object_action_access(client, personas, reverse(action, args=[alert.pk]), allowed,
                                missing_url=reverse(action, args=[MISSING]), data=data)


def test_an_invalid_snooze_from_someone_who_may_not_act_is_still_404(client, csm, alert):
    client.force_login(csm)
    response = client.post(reverse("engine:alert-snooze", args=[alert.pk]), {"until": "not a date"})
    assert response.status_code == 404


@pytest.mark.parametrize("action", ["acknowledge", "snooze"])
def test_the_apis_actions_answer_every_role_as_the_helper_does(personas, alert, action):
    api = APIClient()
    body = {"until": (business_today() + dt.timedelta(days=3)).isoformat()}
    assert api.post(f"/api/v1/alerts/{alert.pk}/{action}/", body, format="json").status_code in (401, 403)
    for role in ALL_ROLES:
        api.force_authenticate(personas[role])
        missing = api.post(f"/api/v1/alerts/{MISSING}/{action}/", body, format="json")
        response = api.post(f"/api/v1/alerts/{alert.pk}/{action}/", body, format="json")
        assert missing.status_code == 404, role
        if may_act(role):
            assert response.status_code == 200 and response.json()["id"] == alert.pk, role
        else:
            assert (response.status_code, response.json()) == (404, missing.json()), role


@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_api_shows_any_alert_to_every_role_and_a_missing_one_to_none(personas, alert, role):
    api = APIClient()
    api.force_authenticate(personas[role])
    assert api.get(f"/api/v1/alerts/{alert.pk}/").json()["account_name"] == "Acme"
    assert api.get(f"/api/v1/alerts/{MISSING}/").status_code == 404
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.OPEN
