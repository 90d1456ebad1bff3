"""The handoff inbox at /handoffs/ (docs/rules.md §8): what each role and team sees, accept and reject through the
page with ownership by model, rejection back to the sender, reassign, the alerts on top, permissions, query budget."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from core.choices import Role
from core.models import AuditEntry
from handoffs import inbox
from handoffs.models import Handoff, HandoffAlert
from segments.models import StateTransition
from tests.factories import AccountFactory
from tests.handoffs.helpers import CAL, at, make_handoff, person
from tests.web.access import assert_object_action_access, assert_page_access

pytestmark = pytest.mark.django_db

LIST = "/handoffs/"
FUTURE = dt.date(2030, 1, 7)  # a Monday: its handoffs are not breached yet


def ids_on(response) -> set[int]:
    return {row.handoff.id for row in response.context["rows"]}


@pytest.fixture
def world():
    """sales1 (team east) and sales2 (team west) receive; ines sent one; a CSM receives one from sales1."""
    en = {"language": "en"}  # the pages in English, as the assertions read them
    people = {
        "sales1": person("sales1", Role.SALES, "east", **en), "sales2": person("sales2", Role.SALES, "west", **en),
        "ines": person("ines", Role.INSIDE_SALES, "east", **en), "csm1": person("csm1", Role.CSM, "east", **en),
        "boss_east": person("boss_east", Role.MANAGER, "east", **en),
        "boss_all": person("boss_all", Role.MANAGER, **en),
    }
    p = people
    handoffs = {
        "mine": make_handoff(rule=2, assignee=p["sales1"], sender=p["ines"],
                             account=AccountFactory(name="Mine KK", owner_inside_sales=p["ines"])),
        "queue": make_handoff(rule=2, sender=p["ines"], account=AccountFactory(name="Queue KK")),
        "other": make_handoff(rule=2, assignee=p["sales2"], account=AccountFactory(name="Other KK")),
        "sent": make_handoff(rule=3, assignee=p["csm1"], sender=p["sales1"],
                             account=AccountFactory(name="Sent KK", owner_sales=p["sales1"])),
    }
    return people, handoffs


def test_each_tab_shows_the_users_own_handoffs(client, world):
    people, h = world
    client.force_login(people["sales1"])
    assert ids_on(client.get(LIST)) == {h["mine"].id}
    assert ids_on(client.get(LIST + "?tab=queue")) == {h["queue"].id}
    assert ids_on(client.get(LIST + "?tab=sent")) == {h["sent"].id}
    assert ids_on(client.get(LIST + "?tab=team")) == {h["mine"].id}  # a rep has no team tab: their own
    client.force_login(people["sales2"])
    assert ids_on(client.get(LIST)) == {h["other"].id}
    client.force_login(people["csm1"])
    assert ids_on(client.get(LIST)) == {h["sent"].id}
    assert ids_on(client.get(LIST + "?tab=queue")) == set()


def test_a_manager_sees_the_teams_handoffs_and_unassigned_ones_or_all_without_a_team(client, world):
    people, h = world
    client.force_login(people["boss_east"])
    response = client.get(LIST)  # the team tab by default
    assert response.context["tab"] == "team"
    assert ids_on(response) == {h["mine"].id, h["queue"].id, h["sent"].id}
    client.force_login(people["boss_all"])
    assert ids_on(client.get(LIST)) == {h[k].id for k in ("mine", "queue", "other", "sent")}


def test_a_manager_filters_by_rule_state_sender_receiver_and_status_in_the_url(client, world):
    people, h = world
    client.force_login(people["boss_all"])
    assert ids_on(client.get(LIST + "?rule=sales-to-csm-onboarding")) == {h["sent"].id}
    assert ids_on(client.get(LIST + "?state=NEGOTIATION")) == {h["mine"].id, h["queue"].id, h["other"].id}
    assert ids_on(client.get(LIST + f"?sender={people['ines'].id}")) == {h["mine"].id, h["queue"].id}
    assert ids_on(client.get(LIST + f"?receiver={people['sales2'].id}")) == {h["other"].id}
    assert ids_on(client.get(LIST + "?receiver=none")) == {h["queue"].id}
    Handoff.objects.filter(pk=h["other"].pk).update(status=Handoff.Status.ACCEPTED)
    assert h["other"].id not in ids_on(client.get(LIST))  # pending by default
    assert ids_on(client.get(LIST + "?status=accepted")) == {h["other"].id}
    assert h["other"].id in ids_on(client.get(LIST + "?status="))  # "All"
    response = client.get(LIST + "?status=accepted&tab=team")
    assert 'value="accepted" selected' in response.content.decode()  # the filter is kept in the page


def test_a_filter_that_does_not_validate_shows_the_pending_handoffs_and_its_error(client, world):
    people, h = world
    client.force_login(people["boss_all"])
    response = client.get(LIST + "?status=maybe")
    assert response.status_code == 200
    assert ids_on(response) == {h[k].id for k in ("mine", "queue", "other", "sent")}
    assert "errorlist" in response.content.decode()


def test_a_row_shows_account_transition_facts_fit_sender_and_sla_breached_first_in_red(client, world):
    people, h = world
    handoff = h["mine"]
    Handoff.objects.filter(pk=handoff.pk).update(icp_fit=72, icp_tier="A")
    StateTransition.objects.create(account=handoff.account, as_of=handoff.created_on, from_state="HOT_LEAD",
                                   to_state="NEGOTIATION", rule="negotiation", facts={"has_open_opportunity": True})
    fresh = make_handoff(rule=2, assignee=people["sales1"], created_on=FUTURE, account=AccountFactory(name="Fresh KK"))
    client.force_login(people["sales1"])
    response = client.get(LIST)
    rows = response.context["rows"]
    assert [r.handoff.id for r in rows] == [handoff.id, fresh.id]  # breached (past due) first
    assert rows[0].sla.breached and not rows[1].sla.breached
    assert rows[1].sla.text.endswith("business hours left")
    html = response.content.decode()
    item = html[html.index(f'id="handoff-{handoff.id}"'):html.index(f'id="handoff-{fresh.id}"')]
    for text in ("Mine KK", f'/accounts/{handoff.account_id}/', "Hot lead → In negotiation", "Negotiation: a deal is open.",
                 "72", "tier A", "Ines", "handoff-sla-breached", "SLA breached", "2026-07-17 17:00"):
        assert text in item, text
    assert f'action="/handoffs/{handoff.id}/accept/"' in item and 'name="reason"' in item


def test_sla_time_left_is_counted_in_business_hours():
    handoff = make_handoff(rule=2, created_on=dt.date(2026, 7, 17))  # 8 h: due Fri 2026-07-17 17:00
    friday_noon, tuesday_ten = at(2026, 7, 17, 12), at(2026, 7, 21, 10)  # Mon 07-20 is a holiday
    assert inbox.sla_left(handoff, now=friday_noon, calendar=CAL) == inbox.SlaLeft(False, 5.0, "5 business hours left")
    late = inbox.sla_left(handoff, now=tuesday_ten, calendar=CAL)
    assert (late.breached, late.hours, late.text) == (True, 2.0, "SLA breached: 2 business hours over")
    assert inbox.sla_left(handoff, now=at(2026, 7, 17, 17, 30), calendar=CAL).hours == 0.5


def test_business_hours_are_counted_as_day_by_day_over_any_span():
    import random

    from handoffs.calendar import business_hours_between, business_hours_day_by_day

    rng, base = random.Random(14), at(2026, 4, 20, 10)  # spans Golden Week and the year's end
    for _ in range(400):
        start = base + dt.timedelta(minutes=rng.randint(0, 400_000))
        end = start + dt.timedelta(minutes=rng.randint(-600, 400_000))
        assert business_hours_between(start=start, end=end, calendar=CAL) == pytest.approx(
            business_hours_day_by_day(start=start, end=end, calendar=CAL)), (start, end)


def test_business_hours_are_counted_as_day_by_day_with_closed_days_and_other_weekdays():
    """The whole days between are counted by their number less the days off: a closed day on a working weekday, on
    a weekend and on a public holiday (counted once), with Saturdays worked or holidays worked."""
    import dataclasses
    import random

    from handoffs.calendar import business_hours_between, business_hours_day_by_day

    closed = frozenset({dt.date(2026, 5, 7), dt.date(2026, 5, 9), dt.date(2026, 5, 5), dt.date(2026, 12, 28)})
    calendars = [dataclasses.replace(CAL, closed_days=closed),
                 dataclasses.replace(CAL, closed_days=closed, working_weekdays=frozenset({1, 2, 3, 4, 5, 6})),
                 dataclasses.replace(CAL, closed_days=closed, japanese_holidays_off=False)]
    rng, base = random.Random(15), at(2026, 4, 20, 10)
    for calendar in calendars:
        for _ in range(150):
            start = base + dt.timedelta(minutes=rng.randint(0, 400_000))
            end = start + dt.timedelta(minutes=rng.randint(-600, 400_000))
            assert business_hours_between(start=start, end=end, calendar=calendar) == pytest.approx(
                business_hours_day_by_day(start=start, end=end, calendar=calendar)), (calendar, start, end)


def test_the_sender_sees_a_sent_handoff_without_buttons(client, world):
    people, h = world
    client.force_login(people["sales1"])
    response = client.get(LIST + "?tab=sent")
    assert [r.may_decide for r in response.context["rows"]] == [False]
    assert f"/handoffs/{h['sent'].id}/accept/" not in response.content.decode()


def test_baton_accept_through_the_page_makes_the_receiver_owner_and_lead(client, world):
    people, h = world
    client.force_login(people["sales1"])
    response = client.post(reverse("handoffs:accept", args=[h["mine"].id]), {"next": LIST + "?tab=mine"})
    assert response.status_code == 302 and response["Location"] == LIST + "?tab=mine"
    account = h["mine"].account
    account.refresh_from_db()
    assert (account.owner_sales, account.lead_role, account.supporting_owner) == (people["sales1"], "sales", None)
    messages = [str(m) for m in client.get(LIST).context["messages"]]
    assert any("Accepted: Mine KK" in m for m in messages)


def test_three_legged_accept_through_the_page_keeps_the_sender_as_support(client, world):
    people, h = world
    client.force_login(people["csm1"])
    client.post(reverse("handoffs:accept", args=[h["sent"].id]))
    account = h["sent"].account
    account.refresh_from_db()
    assert (account.owner_csm, account.lead_role, account.supporting_owner) == (people["csm1"], "csm", people["sales1"])


def test_a_queued_handoff_is_accepted_by_anyone_of_its_role(client, world):
    people, h = world
    client.force_login(people["sales2"])
    client.post(reverse("handoffs:accept", args=[h["queue"].id]))
    h["queue"].account.refresh_from_db()
    assert h["queue"].account.owner_sales == people["sales2"]


@pytest.mark.parametrize("reason", [code for code, _label in Handoff.RejectReason.choices])
def test_reject_through_the_page_with_each_reason_returns_it_to_the_sender(client, world, reason):
    people, h = world
    client.force_login(people["sales1"])
    response = client.post(reverse("handoffs:reject", args=[h["mine"].id]), {"reason": reason, "comment": "not now"})
    assert response.status_code == 302 and response["Location"] == LIST
    handoff = Handoff.objects.get(pk=h["mine"].pk)
    assert (handoff.status, handoff.reason, handoff.comment) == ("rejected", reason, "not now")
    handoff.account.refresh_from_db()
    assert handoff.account.owner_sales is None  # owners unchanged
    alert = HandoffAlert.objects.get(handoff=handoff, kind="returned")
    assert (alert.recipient, alert.reason, alert.comment, alert.status) == (people["ines"], reason, "not now", "open")
    # The sender reads it at the top of the inbox, as a sentence, and acknowledges it.
    client.force_login(people["ines"])
    html = client.get(LIST).content.decode()
    label = str(Handoff.RejectReason(reason).label)
    assert f"Returned by Sales1: {label} — “not now”" in html
    client.post(reverse("handoffs:alert-acknowledge", args=[alert.id]))
    alert.refresh_from_db()
    assert alert.status == "resolved"
    assert f"Returned by Sales1" not in client.get(LIST).content.decode()


def test_a_returned_handoff_leaves_the_senders_inbox_when_a_newer_handoff_is_created(client, world):
    from django.utils import timezone

    from handoffs.services import resolve_alerts_of_earlier_handoffs

    people, h = world
    client.force_login(people["sales1"])
    client.post(reverse("handoffs:reject", args=[h["mine"].id]), {"reason": "bad_timing", "comment": "Q3"})
    client.force_login(people["ines"])
    assert "Returned by Sales1: Bad timing — “Q3”" in client.get(LIST).content.decode()
    resolve_alerts_of_earlier_handoffs(account_ids=[h["mine"].account_id], now=timezone.now())  # as the night does
    assert "Returned by" not in client.get(LIST).content.decode()


def test_sla_and_escalation_alerts_read_as_sentences_and_are_acknowledged_once(client, world):
    people, h = world
    sla = HandoffAlert.objects.create(handoff=h["mine"], kind="sla", recipient=people["sales1"],
                                      recipient_role="sales", opened_at=h["mine"].due_at)
    HandoffAlert.objects.create(handoff=h["queue"], kind="escalation", recipient=people["boss_all"],
                                recipient_role="manager", opened_at=h["queue"].due_at)
    client.force_login(people["sales1"])
    assert "SLA breached: the handoff (→ In negotiation) still waits for Sales1" in client.get(LIST).content.decode()
    client.post(reverse("handoffs:alert-acknowledge", args=[sla.id]))
    sla.refresh_from_db()
    assert sla.status == "acknowledged"  # seen; it resolves when the handoff is decided
    again = client.post(reverse("handoffs:alert-acknowledge", args=[sla.id]), follow=True)
    assert "Only an open alert can be acknowledged." in again.content.decode()
    client.force_login(people["boss_all"])
    assert ("Escalated: the handoff (→ In negotiation) has waited for Field sales twice its SLA"
            in client.get(LIST).content.decode())


def test_a_rejection_without_a_reason_names_the_field_and_writes_nothing(client, world):
    people, h = world
    client.force_login(people["sales1"])
    response = client.post(reverse("handoffs:reject", args=[h["mine"].id]), {"comment": "x"}, follow=True)
    assert "Reason: choose why you reject this handoff." in response.content.decode()
    assert Handoff.objects.get(pk=h["mine"].pk).status == "pending"
    assert not HandoffAlert.objects.exists()
    response = client.post(reverse("handoffs:reject", args=[h["mine"].id]), {"reason": "nope"}, follow=True)
    assert "Reason: choose one of the reasons listed." in response.content.decode()


def test_a_second_decision_is_refused_with_a_message(client, world):
    people, h = world
    client.force_login(people["sales1"])
    client.post(reverse("handoffs:accept", args=[h["mine"].id]))
    response = client.post(reverse("handoffs:reject", args=[h["mine"].id]), {"reason": "other"}, follow=True)
    assert "This handoff is no longer pending." in response.content.decode()
    assert Handoff.objects.get(pk=h["mine"].pk).status == "accepted"


def test_next_is_honoured_inside_the_site_only(client, world):
    people, h = world
    client.force_login(people["sales1"])
    response = client.post(reverse("handoffs:accept", args=[h["mine"].id]), {"next": "https://evil.example/"})
    assert response["Location"] == LIST
    response = client.post(reverse("handoffs:accept", args=[h["queue"].id]), {"next": "/today/"})
    assert response["Location"] == "/today/"


def test_htmx_from_the_inbox_gets_the_item_back_and_from_elsewhere_a_redirect(client, world):
    people, h = world
    client.force_login(people["sales1"])
    response = client.post(reverse("handoffs:reject", args=[h["mine"].id]), {"reason": "no_budget"},
                           HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"handoff-{h['mine'].id}")
    html = response.content.decode()
    assert response.status_code == 200 and f'id="handoff-{h["mine"].id}"' in html
    assert "Rejected: Mine KK" in html and "No budget" in html and "/accept/" not in html
    response = client.post(reverse("handoffs:accept", args=[h["queue"].id]), {"next": "/today/"},
                           HTTP_HX_REQUEST="true", HTTP_HX_TARGET="today-handoffs")
    assert response["HX-Redirect"] == "/today/"
    response = client.post(reverse("handoffs:reject", args=[h["queue"].id]), {},
                           HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"handoff-{h['queue'].id}")
    assert "Reason: choose why you reject this handoff." in response.content.decode()
    assert Handoff.objects.get(pk=h["queue"].pk).status == "accepted"


def test_htmx_alert_acknowledge_from_the_inbox_removes_the_line(client, world):
    people, h = world
    client.force_login(people["sales1"])
    client.post(reverse("handoffs:reject", args=[h["mine"].id]), {"reason": "no_need"})
    alert = HandoffAlert.objects.get(kind="returned")
    client.force_login(people["ines"])
    response = client.post(reverse("handoffs:alert-acknowledge", args=[alert.id]), HTTP_HX_REQUEST="true",
                           HTTP_HX_TARGET=f"handoff-alert-{alert.id}")
    assert response.status_code == 200 and "Acknowledged: Mine KK" in response.content.decode()
    assert f"handoff-alert-{alert.id}" not in response.content.decode()


def test_a_manager_reassigns_a_pending_handoff_to_a_person_of_its_role(client, world):
    people, h = world
    client.force_login(people["boss_all"])
    page = client.get(LIST).content.decode()
    assert f'action="/handoffs/{h["queue"].id}/reassign/"' in page
    response = client.post(reverse("handoffs:reassign", args=[h["queue"].id]), {"assignee": people["sales2"].id})
    assert response.status_code == 302
    assert Handoff.objects.get(pk=h["queue"].pk).assignee == people["sales2"]
    entry = AuditEntry.objects.get(action="handoff.reassigned", object_id=str(h["queue"].id))
    assert (entry.actor, entry.before, entry.after) == (people["boss_all"], {"assignee": None}, {"assignee": "sales2"})
    # The new receiver now has it; the old queue does not.
    client.force_login(people["sales2"])
    assert h["queue"].id in ids_on(client.get(LIST))


def test_reassign_to_someone_of_another_role_or_inactive_is_refused_naming_the_field(client, world):
    people, h = world
    client.force_login(people["boss_all"])
    response = client.post(reverse("handoffs:reassign", args=[h["queue"].id]), {"assignee": people["csm1"].id},
                           follow=True)
    assert "Choose an active person of the receiving role (Field sales)." in response.content.decode()
    people["sales2"].is_active = False
    people["sales2"].save()
    response = client.post(reverse("handoffs:reassign", args=[h["queue"].id]), {"assignee": people["sales2"].id},
                           follow=True)
    assert "Reassign to: choose an active person from the list." in response.content.decode()
    response = client.post(reverse("handoffs:reassign", args=[h["queue"].id]), {}, follow=True)
    assert "Reassign to: choose a person." in response.content.decode()
    assert Handoff.objects.get(pk=h["queue"].pk).assignee is None


def test_a_decided_handoff_cannot_be_reassigned(client, world):
    people, h = world
    Handoff.objects.filter(pk=h["queue"].pk).update(status=Handoff.Status.SUPERSEDED)
    client.force_login(people["boss_all"])
    response = client.post(reverse("handoffs:reassign", args=[h["queue"].id]), {"assignee": people["sales2"].id},
                           follow=True)
    assert "This handoff is no longer pending." in response.content.decode()
    assert Handoff.objects.get(pk=h["queue"].pk).assignee is None


# --- permissions -----------------------------------------------------------------------------------------------------


def test_every_role_opens_the_inbox_and_anonymous_goes_to_login(client, personas):
    assert_page_access(client, personas, LIST, Role.values)
    for tab in ("mine", "queue", "sent", "team"):
        assert_page_access(client, personas, f"{LIST}?tab={tab}", Role.values)


def test_a_queued_handoff_is_decided_by_its_role_or_a_manager_others_get_404(client, personas):
    for action, data in (("accept", {}), ("reject", {"reason": "not_icp"})):
        handoff = make_handoff(rule=2)  # unassigned, to sales
        assert_object_action_access(client, personas, f"/handoffs/{handoff.id}/{action}/",
                                    (Role.SALES, Role.MANAGER, Role.ADMIN), missing_url="/handoffs/999999/accept/",
                                    data=data)
        assert Handoff.objects.get(pk=handoff.pk).decided_by.role in (Role.SALES, Role.MANAGER, Role.ADMIN)


def test_an_assigned_handoff_is_decided_by_its_receiver_not_another_receiver(client, personas, world):
    people, h = world
    client.force_login(people["sales2"])  # another receiver of the same role
    assert client.post(reverse("handoffs:accept", args=[h["mine"].id])).status_code == 404
    assert client.post(reverse("handoffs:reject", args=[h["mine"].id]), {"reason": "other"}).status_code == 404
    assert client.post(reverse("handoffs:reject", args=[h["mine"].id]), {}).status_code == 404  # not its errors
    assert Handoff.objects.get(pk=h["mine"].pk).status == "pending"
    client.force_login(people["boss_east"])
    assert client.post(reverse("handoffs:reject", args=[h["mine"].id]), {"reason": "other"}).status_code == 302
    assert Handoff.objects.get(pk=h["mine"].pk).status == "rejected"


def test_reassign_is_for_managers_and_admins(client, personas, world):
    people, h = world
    url = reverse("handoffs:reassign", args=[h["queue"].id])
    client.logout()
    assert client.post(url, {"assignee": people["sales2"].id})["Location"].startswith("/login/")
    for role in Role.values:
        client.force_login(personas[role])
        response = client.post(url, {"assignee": people["sales2"].id})
        assert response.status_code == (302 if role in (Role.MANAGER, Role.ADMIN) else 403), role
    client.force_login(personas[Role.MANAGER])
    assert client.post("/handoffs/999999/reassign/", {"assignee": people["sales2"].id}).status_code == 404


def test_a_handoff_alert_is_acknowledged_by_its_recipient_or_a_manager(client, personas, world):
    people, h = world
    client.force_login(people["sales1"])
    client.post(reverse("handoffs:reject", args=[h["mine"].id]), {"reason": "bad_data"})
    alert = HandoffAlert.objects.get(kind="returned")
    url = reverse("handoffs:alert-acknowledge", args=[alert.id])
    client.logout()
    assert client.post(url)["Location"].startswith("/login/")
    client.force_login(people["sales1"])  # not the recipient (ines is)
    assert client.post(url).status_code == 404
    client.force_login(people["boss_east"])
    assert client.post(url).status_code == 302
    alert.refresh_from_db()
    assert alert.status == "resolved"


# --- the page's cost -------------------------------------------------------------------------------------------------


def _make_many(people, count: int) -> None:
    for i in range(count):
        account = AccountFactory(owner_inside_sales=people["ines"])
        handoff = make_handoff(rule=2 if i % 2 else 3, assignee=people["sales1"] if i % 3 else None,
                               sender=people["ines"], account=account, icp_fit=50, icp_tier="B")
        StateTransition.objects.create(account=account, as_of=handoff.created_on, from_state=handoff.from_state,
                                       to_state=handoff.to_state, rule="negotiation", facts={})
        HandoffAlert.objects.create(handoff=handoff, kind="sla", recipient=people["boss_all"], recipient_role="manager",
                                    opened_at=handoff.due_at)


@pytest.mark.parametrize("who,tab", [("boss_all", "team"), ("sales1", "mine"), ("sales1", "queue"),
                                     ("sales1", "sent")])
def test_the_inbox_page_costs_a_fixed_number_of_queries(client, world, django_assert_max_num_queries, who, tab):
    people, _h = world
    _make_many(people, 5)
    client.force_login(people[who])
    client.get(f"{LIST}?tab={tab}")  # warm the session and the settings row
    with django_assert_max_num_queries(12) as few:
        client.get(f"{LIST}?tab={tab}")
    _make_many(people, 40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(f"{LIST}?tab={tab}")
    assert response.status_code == 200


def test_pages_follow_one_another_without_overlap(client, world, monkeypatch):
    people, _h = world
    _make_many(people, 7)
    monkeypatch.setattr(inbox, "PAGE_SIZE", 3)
    client.force_login(people["boss_all"])
    seen: list[int] = []
    url = LIST + "?tab=team"
    while url:
        response = client.get(url)
        seen += [r.handoff.id for r in response.context["rows"]]
        cursor = response.context["next_cursor"]
        url = f"{LIST}?{response.context['query']}&after={cursor}" if cursor else None
    pending = Handoff.objects.filter(status="pending").order_by("due_at", "id").values_list("id", flat=True)
    assert seen == list(pending)


def test_every_navigation_page_exists_and_the_inbox_is_in_everyones_navigation(personas):
    from core.navigation import NAV_ITEMS, navigation_for

    for item in NAV_ITEMS:
        assert reverse(item.url_name)  # no page is missing: navigation_for no longer skips one
    for user in personas.values():
        assert {"url": LIST, "name": "handoffs:list"}.items() <= next(
            entry for entry in navigation_for(user) if entry["name"] == "handoffs:list").items()
