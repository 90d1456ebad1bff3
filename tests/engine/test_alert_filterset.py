"""One AlertFilterSet (engine.filtersets) behind the managers' alert page, its CSV export and the API: the same
filter gives the same alerts on all three."""

import csv
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.choices import Role, State
from core.timeutil import business_today
from engine.models import Alert
from tests.web.factories import under_covered

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts(sales, csm, marketer):
    today = business_today()
    made = [
        under_covered(assignee=sales, name="East sales", state=State.NEGOTIATION, opened_on=today),
        under_covered(assignee=csm, name="East CSM", state=State.ONBOARDING, role=Role.CSM, opened_on=today),
        under_covered(assignee=marketer, name="No team", state=State.LEAD, role=Role.MARKETING, kind="digital",
                      opened_on=today),
        under_covered(assignee=None, name="Nobody", state=State.LEAD, role=Role.MARKETING, kind="digital",
                      opened_on=today),
    ]
    resolved = under_covered(assignee=sales, name="Resolved", opened_on=today)
    Alert.objects.filter(pk=resolved.pk).update(status=Alert.Status.RESOLVED, resolved_on=today, resolution="covered")
    return made


def page_ids(client, params: dict) -> set[int]:
    return {a.pk for a in client.get(reverse("engine:alerts"), params).context["alerts"]}


def export_names(client, params: dict) -> list[str]:
    response = client.get(reverse("engine:alerts-export"), params)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    return sorted(Alert.objects.get(account__external_id=r["account_external_id"]).account.name for r in rows)


def api_ids(manager, params: dict) -> set[int]:
    api = APIClient()
    api.force_authenticate(manager)
    response = api.get("/api/v1/alerts/", {**params, "status": "open"})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


FILTERS = [
    {},
    {"team": "east"},
    {"role": Role.MARKETING},
    {"responsible_role": Role.MARKETING},
    {"assignee": "none"},
    {"state": State.LEAD},
    {"team": "east", "state": State.ONBOARDING},
]


@pytest.mark.parametrize("params", FILTERS, ids=[str(f) for f in FILTERS])
def test_the_page_its_export_and_the_api_give_the_same_alerts_for_the_same_filter(client, manager, alerts, params):
    client.force_login(manager)
    on_page = page_ids(client, params)
    assert on_page == api_ids(manager, params)
    assert export_names(client, params) == sorted(a.account.name for a in Alert.objects.filter(pk__in=on_page))


def test_a_user_filter_agrees_and_names_the_users_alerts(client, manager, csm, alerts):
    client.force_login(manager)
    params = {"assignee": str(csm.pk)}
    assert page_ids(client, params) == api_ids(manager, params) == {alerts[1].pk}


def test_a_filter_that_does_not_validate_shows_every_open_alert_on_the_page(client, manager, alerts):
    client.force_login(manager)
    assert page_ids(client, {"state": "NOT_A_STATE"}) == {a.pk for a in alerts}


def test_the_page_offers_its_four_filters_with_the_active_users_and_their_teams(client, manager, alerts):
    client.force_login(manager)
    response = client.get(reverse("engine:alerts"))
    assert [f.name for f in response.context["filter_fields"]] == ["team", "role", "assignee", "state"]
    page = response.content.decode()
    assert '<option value="east">east</option>' in page and '<option value="none">' in page
