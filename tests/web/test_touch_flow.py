"""Today's actions end to end with the real engine: recompute, log a touch, snooze, acknowledge."""

import datetime as dt

import pytest
from django.urls import reverse

from contacts.models import Touch
from core.choices import State
from core.timeutil import business_today
from engine.models import Alert
from tests.factories import AccountFactory, LeadFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def today():
    return business_today()


@pytest.fixture
def negotiating(sales, today):
    """An account in negotiation with no touch: under-covered for its field-sales owner after a recompute."""
    from engine.services import recompute_all

    account = AccountFactory(name="Kawasaki Tools", owner_sales=sales)
    OpportunityFactory(account=account, opened_on=today - dt.timedelta(days=3), status="open", amount=3_000_000)
    recompute_all(as_of=today)
    return account


def open_alert(account) -> Alert:
    return Alert.objects.get(account=account, status=Alert.Status.OPEN)


def touch_data(alert=None, **overrides):
    data = {"kind": "human", "channel": "visit", "content_stage": "negotiation", "note": "Met the buyer", "next": "/today/"}
    if alert is not None:
        data["alert"] = alert.pk
    data.update(overrides)
    return data


def test_the_recomputed_under_covered_account_is_on_its_owners_today(client, sales, negotiating):
    alert = open_alert(negotiating)
    assert (alert.state, alert.assignee) == (State.NEGOTIATION, sales)
    client.force_login(sales)
    assert [i["alert"].pk for i in client.get(reverse("today")).context["items"]] == [alert.pk]


def test_logging_a_covering_touch_with_htmx_removes_the_item_at_once(client, sales, negotiating):
    alert = open_alert(negotiating)
    client.force_login(sales)
    response = client.post(reverse("contacts:log", args=[negotiating.pk]), touch_data(alert), **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert f'<li id="alert-{alert.pk}"' not in body  # the target is replaced by nothing: the item leaves
    assert 'id="today-status"' in body and 'hx-swap-oob="true"' in body
    alert.refresh_from_db()
    assert (alert.status, alert.resolution) == (Alert.Status.RESOLVED, Alert.Resolution.COVERED)
    touch = Touch.objects.get(account=negotiating)
    assert (touch.kind, touch.channel, touch.content_stage, touch.performer, touch.note) == (
        "human", "visit", "negotiation", sales, "Met the buyer")
    assert client.get(reverse("today")).context["items"] == []


def test_without_javascript_the_touch_form_posts_and_returns_to_today(client, sales, negotiating):
    client.force_login(sales)
    response = client.post(reverse("contacts:log", args=[negotiating.pk]), touch_data(open_alert(negotiating)))
    assert response.status_code == 302 and response["Location"] == "/today/"
    assert client.get(reverse("today")).context["items"] == []


def test_a_touch_that_does_not_yet_cover_keeps_the_item_with_its_new_count(client, marketer, today):
    from engine.services import recompute_all

    account = AccountFactory(name="Lead Co", owner_marketing=marketer)
    LeadFactory(account=account, created_on=today - dt.timedelta(days=10), score=10)
    recompute_all(as_of=today)
    alert = open_alert(account)
    assert alert.state == State.LEAD
    marketer.language = "en"
    marketer.save()
    client.force_login(marketer)
    response = client.post(reverse("contacts:log", args=[account.pk]), touch_data(alert, kind="digital", channel="email"), **HTMX)
    body = response.content.decode()
    assert f'<li id="alert-{alert.pk}"' in body
    assert "Only 1 digital touches in the last 30 days — 2 needed" in body
    assert "Touch logged for Lead Co." in body


def test_bad_touch_input_is_shown_next_to_the_field_and_nothing_is_stored(client, sales, negotiating):
    alert = open_alert(negotiating)
    sales.language = "en"
    sales.save()
    client.force_login(sales)
    response = client.post(reverse("contacts:log", args=[negotiating.pk]), touch_data(alert, kind="telepathy"), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert "Select a valid choice. telepathy is not one of the available choices." in body
    assert f'<li id="alert-{alert.pk}"' in body
    assert not Touch.objects.exists()


def test_touch_from_the_account_page_returns_to_the_account_page(client, sales, negotiating):
    client.force_login(sales)
    url = reverse("accounts:detail", args=[negotiating.pk])
    response = client.post(reverse("contacts:log", args=[negotiating.pk]), touch_data(next=url))
    assert response["Location"] == url
    assert Touch.objects.filter(account=negotiating).count() == 1


def test_the_touch_form_never_redirects_off_site(client, sales, negotiating):
    client.force_login(sales)
    response = client.post(reverse("contacts:log", args=[negotiating.pk]), touch_data(next="https://evil.example/"))
    assert response["Location"] == reverse("accounts:detail", args=[negotiating.pk])


def test_snoozing_hides_the_alert_from_today_until_that_date(client, sales, negotiating, today):
    alert = open_alert(negotiating)
    client.force_login(sales)
    until = today + dt.timedelta(days=3)
    response = client.post(reverse("engine:alert-snooze", args=[alert.pk]), {"until": until.isoformat()}, **HTMX)
    assert f'<li id="alert-{alert.pk}"' not in response.content.decode()
    alert.refresh_from_db()
    assert (alert.status, alert.snoozed_until) == (Alert.Status.OPEN, until)
    assert client.get(reverse("today")).context["items"] == []


def test_snoozing_into_the_past_is_refused_with_a_message(client, sales, negotiating, today):
    alert = open_alert(negotiating)
    sales.language = "en"
    sales.save()
    client.force_login(sales)
    response = client.post(reverse("engine:alert-snooze", args=[alert.pk]), {"until": today.isoformat()}, **HTMX)
    assert f"Choose a date after today ({today.isoformat()})." in response.content.decode()
    alert.refresh_from_db()
    assert alert.snoozed_until is None


def test_acknowledging_keeps_the_item_and_marks_it(client, sales, negotiating):
    alert = open_alert(negotiating)
    sales.language = "en"
    sales.save()
    client.force_login(sales)
    response = client.post(reverse("engine:alert-acknowledge", args=[alert.pk]), {}, **HTMX)
    body = response.content.decode()
    assert f'<li id="alert-{alert.pk}"' in body and "Acknowledged" in body
    alert.refresh_from_db()
    assert alert.acknowledged_by == sales and alert.status == Alert.Status.OPEN


def test_only_the_assignee_or_a_manager_may_snooze_or_acknowledge(client, sales, csm, manager, negotiating, today):
    alert = open_alert(negotiating)
    client.force_login(csm)
    # Refused as an alert that does not exist is (engine.access): the same 404.
    assert client.post(reverse("engine:alert-acknowledge", args=[alert.pk])).status_code == 404
    assert client.post(reverse("engine:alert-snooze", args=[alert.pk]), {"until": "2099-01-01"}).status_code == 404
    client.force_login(manager)
    response = client.post(reverse("engine:alert-acknowledge", args=[alert.pk]), {"next": "/engine/alerts/"})
    assert response.status_code == 302 and response["Location"] == "/engine/alerts/"
