"""The handoff rules editor (/handoffs/rules/; docs/rules.md §8): who may use it, the table managers read, saving
with the model's and the form's checks, one-click moves, deleting after a confirmation, and two people saving
the same rule (docs/api.md §5, "Versions and conflicts")."""

import datetime as dt

import pytest
from django.urls import reverse

from core.choices import Role
from core.models import AuditEntry, User
from core.timeutil import business_today
from handoffs.models import Handoff, HandoffRule
from handoffs.services import handoff_rule_move, handoff_rule_update
from tests.handoffs.helpers import make_handoff
from tests.web.access import ALL_ROLES, assert_page_access

pytestmark = pytest.mark.django_db
MANAGERS = (Role.MANAGER, Role.ADMIN)

FORM = {"order": "7", "name": "hot-to-sales", "to_state": "NEGOTIATION", "from_states": ["HOT_LEAD", "LEAD"],
        "from_role": "inside_sales", "to_role": "sales", "model": "three_legged", "sla_business_hours": "12",
        "active": "on", "action": "save"}


def login(client, user) -> None:
    """Signed in, reading the pages in English."""
    User.objects.filter(pk=user.pk).update(language="en")
    client.force_login(user)


def rules_in_order() -> list[str]:
    return list(HandoffRule.objects.order_by("order", "id").values_list("name", flat=True))


def rule(name: str) -> HandoffRule:
    return HandoffRule.objects.get(name=name)


# --- who may ----------------------------------------------------------------------------------------------------------

def test_the_rule_pages_are_for_managers_and_admins(client, personas):
    pk = rule("inside-sales-to-sales").pk
    for url in (reverse("handoffs:rules"), reverse("handoffs:rule-create"), reverse("handoffs:rule-edit", args=[pk]),
                reverse("handoffs:rule-delete", args=[pk])):
        assert_page_access(client, personas, url, MANAGERS)


def test_only_managers_and_admins_may_move_save_check_or_delete(client, personas):
    target = rule("inside-sales-to-sales")
    writes = [(reverse("handoffs:rule-move", args=[target.pk]), {"direction": "down"}),
              (reverse("handoffs:rule-edit", args=[target.pk]), dict(FORM, name="renamed")),
              (reverse("handoffs:rule-create"), FORM),
              (reverse("handoffs:rule-preview"), FORM),
              (reverse("handoffs:rule-delete", args=[target.pk]), {})]
    for url, data in writes:
        client.logout()
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
        for role in ALL_ROLES:
            if role in MANAGERS:
                continue
            client.force_login(personas[role])
            assert client.post(url, data).status_code == 403, (url, role)
    assert rules_in_order()[1] == "inside-sales-to-sales" and not HandoffRule.objects.filter(name="hot-to-sales")
    assert rule("inside-sales-to-sales").version == 1


# --- the table --------------------------------------------------------------------------------------------------------

def test_the_table_shows_labels_any_and_the_handoffs_of_the_last_90_days(client, manager,
                                                                       django_assert_max_num_queries):
    today = business_today()
    second = rule("inside-sales-to-sales")
    for days_ago in (0, 89, 90, 200):  # 90 and 200 days ago fall outside the last 90 days
        Handoff.objects.filter(pk=make_handoff(rule=2, created_on=today - dt.timedelta(days=days_ago)).pk).update(
            rule=second)
    HandoffRule.objects.filter(name="sales-to-marketing-churned").update(active=False)
    login(client, manager)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("handoffs:rules"))
    html = page.content.decode()
    row = html.split(f'id="rule-{second.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "In negotiation" in row and "Hot lead, High-potential lead, Lead, Target without lead" in row
    assert "Inside sales → Field sales" in row and "Baton relay" in row
    assert '<td class="num">8</td>' in row and '<td class="num">2</td>' in row  # SLA 8 h; 2 handoffs in 90 days
    first = html.split(f'id="rule-{rule("lead-to-inside-sales").pk}"', 1)[1].split("</tr>", 1)[0]
    assert ">any<" in first and '<td class="num">0</td>' in first
    churned = html.split(f'id="rule-{rule("sales-to-marketing-churned").pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Inactive" in churned
    assert "NEGOTIATION" not in row  # codes are not shown, their labels are


def test_the_table_reads_a_fixed_number_of_queries_however_many_rules(client, manager,
                                                                     django_assert_max_num_queries):
    for n in range(30):
        HandoffRule.objects.create(order=100 + n, name=f"extra-{n}", to_state="LEAD", from_role="sales",
                                   to_role="csm")
    login(client, manager)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("handoffs:rules")).status_code == 200


# --- saving -----------------------------------------------------------------------------------------------------------

def test_a_manager_creates_a_rule_and_it_is_audited(client, manager):
    login(client, manager)
    response = client.post(reverse("handoffs:rule-create"), FORM)
    assert response.status_code == 302 and response["Location"] == reverse("handoffs:rules")
    created = rule("hot-to-sales")
    assert (created.order, created.from_states, created.model, created.sla_business_hours, created.version) == (
        7, ["HOT_LEAD", "LEAD"], "three_legged", 12, 1)
    assert AuditEntry.objects.filter(action="handoff_rule.create", object_id=str(created.pk), actor=manager).exists()


def test_the_edit_form_shows_the_ticked_from_states_and_the_models_in_words(client, manager):
    login(client, manager)
    html = client.get(reverse("handoffs:rule-edit", args=[rule("inside-sales-to-sales").pk])).content.decode()
    def box(state):
        return html.split(f'name="from_states" value="{state}"', 1)[1].split(">", 1)[0]
    assert "checked" in box("HOT_LEAD") and "checked" in box("TARGET_NO_LEAD") and "checked" not in box("ONBOARDING")
    assert "ownership passes to the receiver" in html and "stays on it as supporting owner" in html
    assert 'name="version" value="1"' in html


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"sla_business_hours": "0"}, "sla_business_hours", "greater than or equal to 1"),
    ({"sla_business_hours": "2001"}, "sla_business_hours", "less than or equal to 2000"),
    ({"to_state": "PLUTO"}, "to_state", "Select a valid choice"),
    ({"from_states": ["NEGOTIATION"]}, "from_states", "from a state to itself"),
    ({"to_role": "inside_sales"}, "to_role", "must differ from the sender"),
    ({"version": "two"}, "version", "Enter a whole number"),
])
def test_a_bad_rule_is_refused_naming_the_field_and_nothing_is_written(client, manager, change, field, message):
    login(client, manager)
    target = rule("inside-sales-to-sales")
    response = client.post(reverse("handoffs:rule-edit", args=[target.pk]), {**FORM, "version": "1", **change})
    assert response.status_code == 400
    assert message in str(response.context["form"].errors[field])
    html = response.content.decode()
    assert message in html if field != "version" else "This page could not be read" in html
    target.refresh_from_db()
    assert (target.name, target.version, target.sla_business_hours) == ("inside-sales-to-sales", 1, 8)


def test_a_stale_save_says_who_changed_the_rule_keeps_the_input_and_overwrites_nothing(client, manager, admin_user):
    target = rule("inside-sales-to-sales")
    handoff_rule_update(rule=target, actor=admin_user, changes={"sla_business_hours": 10}, expected_version=1)
    login(client, manager)
    response = client.post(reverse("handoffs:rule-edit", args=[target.pk]), dict(FORM, name="mine", version="1"))
    assert response.status_code == 409
    html = response.content.decode()
    assert "ada" in html and "changed by someone else" in html and "SLA (business hours)" in html
    assert 'value="mine"' in html  # the input is kept
    assert "The rule as saved now (version 2)" in html and "<dd>10</dd>" in html  # beside what is saved now
    target.refresh_from_db()
    assert (target.name, target.sla_business_hours, target.version) == ("inside-sales-to-sales", 10, 2)
    fresh = client.post(reverse("handoffs:rule-edit", args=[target.pk]), dict(FORM, name="mine", version="2"))
    assert fresh.status_code == 302
    target.refresh_from_db()
    assert (target.name, target.version) == ("mine", 3)


def test_check_on_the_page_without_javascript_shows_the_count_and_saves_nothing(client, manager):
    login(client, manager)
    target = rule("inside-sales-to-sales")
    response = client.post(reverse("handoffs:rule-edit", args=[target.pk]),
                           dict(FORM, name="mine", version="1", action="check"))
    assert response.status_code == 200 and response.context["preview"] is not None
    assert "handoffs since" in response.content.decode()
    assert rule("inside-sales-to-sales").version == 1


# --- moving -----------------------------------------------------------------------------------------------------------

def move(client, name, direction, **extra):
    target = rule(name)
    return client.post(reverse("handoffs:rule-move", args=[target.pk]),
                       {"direction": direction, "version": target.version, **extra})


def test_one_click_moves_a_rule_and_raises_the_versions_of_the_two_rules_it_swaps(client, manager):
    login(client, manager)
    before = rules_in_order()
    response = move(client, "sales-to-csm-onboarding", "up")
    assert response.status_code == 302
    assert rules_in_order() == [before[0], before[2], before[1], *before[3:]]
    assert rule("sales-to-csm-onboarding").version == 2 and rule("inside-sales-to-sales").version == 2
    assert rule("lead-to-inside-sales").version == 1
    moves = AuditEntry.objects.filter(action="handoff_rule.move").order_by("id")
    assert sorted((m.before["order"], m.after["order"]) for m in moves) == [(20, 30), (30, 20)]
    assert all(m.actor == manager for m in moves)
    assert "“sales-to-csm-onboarding” moved → v2" in client.get(reverse("handoffs:rules")).content.decode()
    move(client, "sales-to-csm-onboarding", "down")
    assert rules_in_order() == before


def test_the_first_rule_cannot_move_up_nor_the_last_down(client, manager):
    login(client, manager)
    before = rules_in_order()
    page = client.get(reverse("handoffs:rules")).content.decode()
    assert page.count('name="direction" value="up"') == len(before) - 1
    response = move(client, before[0], "up")
    assert response.status_code == 302
    assert "already the first" in client.get(reverse("handoffs:rules")).content.decode()
    move(client, before[-1], "down")
    assert rules_in_order() == before and not AuditEntry.objects.filter(action="handoff_rule.move").exists()


def test_a_move_from_a_stale_page_changes_nothing(client, manager, admin_user):
    login(client, manager)
    before = rules_in_order()
    target, above = rule("sales-to-csm-onboarding"), rule("inside-sales-to-sales")
    seen = {"neighbour": above.pk, "neighbour_version": above.version}
    handoff_rule_update(rule=above, actor=admin_user, changes={"sla_business_hours": 9})  # the neighbour changed
    client.post(reverse("handoffs:rule-move", args=[target.pk]), {"direction": "up", "version": 1, **seen})
    assert rules_in_order() == before
    assert "ada" in client.get(reverse("handoffs:rules")).content.decode()
    handoff_rule_move(rule=above, actor=admin_user, direction="up")  # another rule is above it now
    before = rules_in_order()
    client.post(reverse("handoffs:rule-move", args=[target.pk]), {"direction": "up", "version": 1, **seen})
    assert rules_in_order() == before


def test_moving_renumbers_rules_that_share_an_order(manager):
    HandoffRule.objects.update(order=0)
    handoff_rule_move(rule=rule("csm-to-sales-active"), actor=manager, direction="up")
    assert rules_in_order()[2:4] == ["csm-to-sales-active", "sales-to-csm-onboarding"]
    assert list(HandoffRule.objects.order_by("order", "id").values_list("order", flat=True)) == [10, 20, 30, 40, 50, 60]


# --- deleting ---------------------------------------------------------------------------------------------------------

def test_deleting_asks_first_then_deletes_and_a_stale_delete_is_refused(client, manager, admin_user):
    login(client, manager)
    target = rule("sales-to-csm-loyal")
    url = reverse("handoffs:rule-delete", args=[target.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Delete the rule" in confirm.content.decode()
    assert HandoffRule.objects.filter(pk=target.pk).exists()
    handoff_rule_update(rule=target, actor=admin_user, changes={"sla_business_hours": 30})
    stale = client.post(url, {"version": "1"})
    assert stale.status_code == 409 and "ada" in stale.content.decode()
    assert HandoffRule.objects.filter(pk=target.pk).exists()
    garbled = client.post(url, {"version": "two"})
    assert garbled.status_code == 400 and "Nothing was deleted" in garbled.content.decode()
    assert HandoffRule.objects.filter(pk=target.pk).exists()
    assert client.post(url, {"version": "2"}).status_code == 302
    assert not HandoffRule.objects.filter(pk=target.pk).exists()
    assert AuditEntry.objects.filter(action="handoff_rule.delete", object_id=str(target.pk)).exists()


# --- the API: POST handoff-rules/<id>/move/ ---------------------------------------------------------------------------

def test_the_api_moves_a_rule_with_its_version_and_refuses_a_stale_one(personas, manager):
    from rest_framework.test import APIClient

    api = APIClient()
    target = rule("sales-to-csm-onboarding")
    url = f"/api/v1/handoff-rules/{target.pk}/move/"
    assert api.post(url, {"direction": "up"}, format="json").status_code in (401, 403)
    for role in ALL_ROLES:
        if role not in MANAGERS:
            api.force_authenticate(personas[role])
            assert api.post(url, {"direction": "up"}, format="json").status_code == 403, role
    api.force_authenticate(manager)
    before = rules_in_order()
    answer = api.post(url, {"direction": "up", "version": 1}, format="json")
    assert answer.status_code == 200
    assert [r["name"] for r in answer.json()] == [before[0], before[2], before[1], *before[3:]]
    stale = api.post(url, {"direction": "down"}, format="json", HTTP_IF_MATCH='W/"1"')
    assert stale.status_code == 412 and stale.json()["version"] == 2
    first = api.post(f"/api/v1/handoff-rules/{rule(before[0]).pk}/move/", {"direction": "up"}, format="json")
    assert first.status_code == 400 and "direction" in first.json()
    bad = api.post(url, {"direction": "sideways"}, format="json")
    assert bad.status_code == 400 and "direction" in bad.json()
    assert rules_in_order() == [before[0], before[2], before[1], *before[3:]]


def test_managers_find_the_rules_in_the_navigation_and_reps_do_not(client, manager, sales):
    from core.navigation import navigation_for

    assert "handoffs:rules" in {item["name"] for item in navigation_for(manager)}
    assert "handoffs:rules" not in {item["name"] for item in navigation_for(sales)}
