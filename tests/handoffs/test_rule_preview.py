"""What a handoff rule would have created in the last 90 days (handoffs.rules_preview; docs/rules.md §8), on
hand-built state transitions: the first active rule in order wins, initial classifications and older transitions
count for nothing, a rule shadowed by an earlier one takes nothing; the editor's "Check" button answers it."""

import datetime as dt

import pytest
from django.urls import reverse

from core.models import User
from core.timeutil import business_today
from handoffs.domain import RuleSpec
from handoffs.models import HandoffRule
from handoffs.rules_preview import rule_preview
from segments.models import StateTransition
from tests.factories import AccountFactory
from tests.web.access import ALL_ROLES

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 7, 20)


@pytest.fixture
def transitions(db):
    """Within the last 90 days: LEAD→NEGOTIATION ×3, HOT_LEAD→NEGOTIATION ×2, LEAD→HOT_LEAD ×4,
    NEGOTIATION→LEAD ×1; not counted: 5 initial classifications, 2 LEAD→NEGOTIATION 90 days ago."""
    account = AccountFactory()
    rows = [("LEAD", "NEGOTIATION", 0)] * 3 + [("HOT_LEAD", "NEGOTIATION", 89)] * 2 + [("LEAD", "HOT_LEAD", 10)] * 4
    rows += [("NEGOTIATION", "LEAD", 30)] + [("", "LEAD", 5)] * 5 + [("LEAD", "NEGOTIATION", 90)] * 2
    StateTransition.objects.bulk_create([
        StateTransition(account=account, as_of=TODAY - dt.timedelta(days=days), from_state=old, to_state=new,
                        rule="test")
        for old, new, days in rows])


def spec(**values) -> RuleSpec:
    base = {"id": None, "name": "proposed", "order": 0, "to_state": "NEGOTIATION", "from_states": (),
            "from_role": "inside_sales", "to_role": "sales", "model": "baton", "sla_business_hours": 8}
    return RuleSpec(**{**base, **values})


def test_a_new_first_rule_takes_the_transitions_the_current_rule_had(transitions, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        preview = rule_preview(candidate=spec(order=0), today=TODAY)
    assert (preview.matched, preview.differently, preview.unmatched, preview.shadowed) == (5, 5, 0, 0)
    assert preview.taken_from == [("inside-sales-to-sales", 5)] and preview.currently is None
    assert preview.since == TODAY - dt.timedelta(days=89)


def test_a_rule_shadowed_by_an_earlier_one_takes_nothing_and_says_by_which(transitions):
    preview = rule_preview(candidate=spec(order=99, from_states=("LEAD",)), today=TODAY)
    assert (preview.matched, preview.differently, preview.shadowed) == (0, 0, 3)
    assert preview.shadowed_by == [("inside-sales-to-sales", 3)]


def test_a_rule_for_transitions_no_rule_matches_counts_them_as_new(transitions):
    preview = rule_preview(candidate=spec(order=99, to_state="LEAD", from_states=("NEGOTIATION",),
                                          from_role="sales", to_role="inside_sales"), today=TODAY)
    assert (preview.matched, preview.unmatched, preview.differently, preview.taken_from) == (1, 1, 1, [])


def test_editing_a_saved_rule_compares_with_what_it_matches_now(transitions):
    saved = HandoffRule.objects.get(name="inside-sales-to-sales")
    preview = rule_preview(candidate=spec(id=saved.pk, name=saved.name, order=saved.order,
                                          from_states=("HOT_LEAD",)), today=TODAY)
    assert (preview.matched, preview.currently, preview.differently) == (2, 5, 0)
    # Moved below a new catch-all rule for NEGOTIATION, it would be shadowed.
    HandoffRule.objects.create(order=1, name="catch-all", to_state="NEGOTIATION", from_role="sales", to_role="csm")
    preview = rule_preview(candidate=spec(id=saved.pk, name=saved.name, order=saved.order), today=TODAY)
    assert (preview.matched, preview.currently, preview.shadowed_by) == (0, 0, [("catch-all", 5)])


def test_an_inactive_rule_creates_nothing_and_an_inactive_earlier_rule_shadows_nothing(transitions):
    assert rule_preview(candidate=spec(active=False), today=TODAY).matched == 0
    HandoffRule.objects.filter(name="inside-sales-to-sales").update(active=False)
    preview = rule_preview(candidate=spec(order=99), today=TODAY)
    assert (preview.matched, preview.unmatched, preview.shadowed) == (5, 5, 0)


def test_a_rule_of_the_same_order_as_a_saved_one_comes_after_it(transitions):
    saved = HandoffRule.objects.get(name="inside-sales-to-sales")
    preview = rule_preview(candidate=spec(order=saved.order), today=TODAY)
    assert (preview.matched, preview.shadowed) == (0, 5)


# --- the "Check" button -----------------------------------------------------------------------------------------------

FORM = {"order": "5", "name": "proposed", "to_state": "NEGOTIATION", "from_role": "inside_sales",
        "to_role": "sales", "model": "baton", "sla_business_hours": "8", "active": "on", "rule": ""}


def test_check_answers_the_count_as_a_partial(client, manager):
    today = business_today()
    account = AccountFactory()
    StateTransition.objects.bulk_create([StateTransition(account=account, as_of=today, from_state="LEAD",
                                                         to_state="NEGOTIATION", rule="t") for _ in range(3)])
    User.objects.filter(pk=manager.pk).update(language="en")
    client.force_login(manager)
    response = client.post(reverse("handoffs:rule-preview"), FORM, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "3 handoffs since" in html and "3 of them the current rules handle differently" in html
    assert "inside-sales-to-sales" in html
    assert not HandoffRule.objects.filter(name="proposed").exists()


def test_check_with_bad_input_names_the_field(client, manager):
    User.objects.filter(pk=manager.pk).update(language="en")
    client.force_login(manager)
    html = client.post(reverse("handoffs:rule-preview"), dict(FORM, sla_business_hours="0")).content.decode()
    assert "SLA (business hours):" in html and "greater than or equal to 1" in html


def test_check_is_for_managers_and_admins(client, personas):
    response = client.post(reverse("handoffs:rule-preview"), FORM)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    for role in ALL_ROLES:
        client.force_login(personas[role])
        expected = 200 if role in ("manager", "admin") else 403
        assert client.post(reverse("handoffs:rule-preview"), FORM).status_code == expected, role


# --- the API: POST handoff-rules/preview/ -----------------------------------------------------------------------------

def test_the_api_answers_the_counts_for_a_rule_body(transitions, manager, monkeypatch):
    from rest_framework.test import APIClient

    import handoffs.rules_preview as module
    monkeypatch.setattr(module, "business_today", lambda: TODAY)
    api = APIClient()
    api.force_authenticate(manager)
    body = {"order": 99, "name": "p", "to_state": "NEGOTIATION", "from_states": ["LEAD"], "from_role": "inside_sales",
            "to_role": "sales"}
    answer = api.post("/api/v1/handoff-rules/preview/", body, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json() == {**answer.json(), "matched": 0, "shadowed": 3, "currently": None,
                             "shadowed_by": [{"rule": "inside-sales-to-sales", "count": 3}]}
    saved = HandoffRule.objects.get(name="inside-sales-to-sales")
    answer = api.post("/api/v1/handoff-rules/preview/", dict(body, rule=saved.pk, order=saved.order), format="json")
    assert (answer.json()["matched"], answer.json()["currently"]) == (3, 5)
    bad = api.post("/api/v1/handoff-rules/preview/", dict(body, sla_business_hours=0), format="json")
    assert bad.status_code == 400 and "sla_business_hours" in bad.json()
    assert not HandoffRule.objects.filter(name="p").exists()


def test_the_preview_api_is_for_managers_and_admins(personas):
    from rest_framework.test import APIClient

    api = APIClient()
    body = {"to_state": "LEAD", "from_role": "sales", "to_role": "csm"}
    assert api.post("/api/v1/handoff-rules/preview/", body, format="json").status_code in (401, 403)
    for role in ALL_ROLES:
        api.force_authenticate(personas[role])
        expected = 200 if role in ("manager", "admin") else 403
        assert api.post("/api/v1/handoff-rules/preview/", body, format="json").status_code == expected, role
