"""A handoff rule that no night could act on sensibly — a transition from a state to itself, a handoff from a role to
the same role — is refused wherever it is written (docs/rules.md §8): the page's form and the API answer the same
field message, and nothing is saved."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from handoffs.models import HandoffRule

pytestmark = pytest.mark.django_db

BODY = {"order": 50, "name": "Odd", "to_state": "NEGOTIATION", "from_states": ["LEAD"], "from_role": "sales",
        "to_role": "csm", "model": "baton", "sla_business_hours": 8, "active": True}


@pytest.mark.parametrize("change, field, words", [
    ({"from_states": ["LEAD", "NEGOTIATION"]}, "from_states", ("from a state to itself", "同じ状態への変化")),
    ({"to_role": "sales"}, "to_role", ("must differ", "送り手のロールと異なる")),
])
def test_the_api_refuses_what_the_page_refuses(manager, change, field, words):
    api = APIClient()
    api.force_authenticate(manager)
    before = HandoffRule.objects.count()
    for language, expected in zip(("en", "ja"), words):  # in the language the request is served in
        response = api.post("/api/v1/handoff-rules/", {**BODY, **change}, format="json",
                            HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 400
        assert expected in str(response.json()[field]), language
    assert HandoffRule.objects.count() == before


@pytest.mark.parametrize("change, field", [({"from_states": ["LEAD", "NEGOTIATION"]}, "from_states"),
                                           ({"to_role": "sales"}, "to_role")])
def test_the_rules_page_names_the_field(client, manager, change, field):
    client.force_login(manager)
    before = HandoffRule.objects.count()
    response = client.post(_create_url(), {**BODY, **change})
    assert response.status_code == 400  # the form shown again with its messages
    assert field in response.context["form"].errors
    assert HandoffRule.objects.count() == before


def _create_url():
    return reverse("handoffs:rule-create")
