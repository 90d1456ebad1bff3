"""The touch form follows the standard's content plan and takes when the touch happened (docs/rules.md §4): on
Today each item's form preselects its requirement's content stage and channel (the form is still rendered once per
distinct plan, not per item); on Today and the account page the form takes a date and time, now by default, in the
business zone, and refuses one in the future."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import Touch
from core.choices import Role, State
from core.timeutil import business_today, business_zone
from standards.models import Requirement
from tests.factories import AccountFactory
from tests.web.factories import under_covered

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(sales):
    sales.language = "en"
    sales.save(update_fields=["language"])


def selected(html: str, alert_pk: int, field: str) -> str:
    """The selected option of an item's select (Today's ids: a<alert>_<field>)."""
    select = re.search(rf'<select name="{field}" id="a{alert_pk}_{field}"[^>]*>(.*?)</select>', html, re.S).group(1)
    found = re.search(r'<option value="([^"]*)"[^>]*selected', select)
    return found.group(1) if found else ""


def test_today_preselects_each_items_content_stage_and_channel_from_its_requirement(client, sales):
    today = business_today()
    negotiation = under_covered(assignee=sales, name="Negotiating", state=State.NEGOTIATION, opened_on=today)
    lead = under_covered(assignee=sales, name="Lead", state=State.LEAD, requirement="digital", kind="digital",
                         role=Role.MARKETING, opened_on=today)
    Requirement.objects.filter(standard__state="LEAD", code="digital").update(content_stage="", channel="webinar")
    client.force_login(sales)
    html = client.get(reverse("today")).content.decode()
    assert (selected(html, negotiation.pk, "content_stage"), selected(html, negotiation.pk, "channel")) == (
        "negotiation", "visit")  # the seed's plan for negotiation: negotiation content, a visit
    assert (selected(html, lead.pk, "kind"), selected(html, lead.pk, "content_stage"),
            selected(html, lead.pk, "channel")) == ("digital", "", "webinar")


def test_a_changed_plan_changes_what_today_preselects(client, sales):
    alert = under_covered(assignee=sales, name="Negotiating", state=State.NEGOTIATION, opened_on=business_today())
    Requirement.objects.filter(standard__state="NEGOTIATION").update(content_stage="selection", channel="online_meeting")
    client.force_login(sales)
    html = client.get(reverse("today")).content.decode()
    assert (selected(html, alert.pk, "content_stage"), selected(html, alert.pk, "channel")) == (
        "selection", "online_meeting")


def test_the_touch_form_takes_a_date_and_time_now_by_default_on_today_and_the_account_page(client, sales):
    alert = under_covered(assignee=sales, name="Negotiating", state=State.NEGOTIATION, opened_on=business_today())
    client.force_login(sales)
    now = timezone.now().astimezone(business_zone())
    for html in (client.get(reverse("today")).content.decode(),
                 client.get(reverse("accounts:detail", args=[alert.account_id])).content.decode()):
        value = re.search(r'<input type="datetime-local" name="occurred_at" value="([^"]+)"', html).group(1)
        shown = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M").replace(tzinfo=business_zone())
        assert abs(shown - now) < dt.timedelta(minutes=2)


def test_a_visit_logged_today_for_yesterday_is_stored_at_that_time_in_the_business_zone(client, sales):
    account = AccountFactory(owner_sales=sales)
    yesterday = business_today() - dt.timedelta(days=1)
    client.force_login(sales)
    response = client.post(reverse("contacts:log", args=[account.pk]), {
        "kind": "human", "channel": "visit", "content_stage": "solution", "occurred_at": f"{yesterday}T15:30"})
    assert response.status_code == 302
    touch = Touch.objects.get(account=account)
    assert touch.occurred_on == yesterday
    assert touch.occurred_at.astimezone(business_zone()).strftime("%H:%M") == "15:30"


def test_a_touch_in_the_future_is_refused_with_a_clear_message(client, sales):
    account = AccountFactory(owner_sales=sales)
    tomorrow = business_today() + dt.timedelta(days=1)
    client.force_login(sales)
    response = client.post(reverse("contacts:log", args=[account.pk]),
                           {"kind": "human", "occurred_at": f"{tomorrow}T09:00"}, follow=True)
    assert "A touch cannot be logged in the future" in response.content.decode()
    assert not Touch.objects.filter(account=account).exists()


def test_an_unreadable_time_is_refused_naming_the_field(client, sales):
    account = AccountFactory(owner_sales=sales)
    client.force_login(sales)
    response = client.post(reverse("contacts:log", args=[account.pk]),
                           {"kind": "human", "occurred_at": "yesterday-ish"}, follow=True)
    assert "When: Enter a date and time" in response.content.decode()
    assert not Touch.objects.filter(account=account).exists()


def test_an_empty_time_means_now(client, sales):
    account = AccountFactory(owner_sales=sales)
    client.force_login(sales)
    client.post(reverse("contacts:log", args=[account.pk]), {"kind": "human", "occurred_at": ""})
    assert abs(Touch.objects.get(account=account).occurred_at - timezone.now()) < dt.timedelta(minutes=1)


def test_the_plan_guides_but_a_touch_off_the_plan_counts_the_same(client, sales):
    """docs/rules.md §4: NEGOTIATION's requirement expects Negotiation content by a visit; a phone call with
    Education content covers it all the same."""
    from engine.models import Alert, CoverageRow
    from engine.services import recompute_all
    from tests.factories import OpportunityFactory

    today = business_today()
    account = AccountFactory(owner_sales=sales)
    OpportunityFactory(account=account, opened_on=today - dt.timedelta(days=3), status="open")
    recompute_all(as_of=today)
    assert Alert.objects.filter(account=account, status=Alert.Status.OPEN).exists()
    client.force_login(sales)
    client.post(reverse("contacts:log", args=[account.pk]),
                {"kind": "human", "channel": "phone", "content_stage": "education"})
    assert CoverageRow.objects.get(account=account, requirement="human").status != "under_covered"
    assert not Alert.objects.filter(account=account, status=Alert.Status.OPEN).exists()


def test_the_account_page_preselects_the_plan_of_its_open_alerts_requirement_or_its_states_first(client, sales):
    def chosen(html, field):
        select = re.search(rf'<select name="{field}" id="id_{field}"[^>]*>(.*?)</select>', html, re.S).group(1)
        found = re.search(r'<option value="([^"]*)"[^>]*selected', select)
        return found.group(1) if found else ""

    client.force_login(sales)
    lead = under_covered(assignee=sales, name="Lead", state=State.HIGH_POTENTIAL_LEAD, requirement="digital",
                         kind="digital", opened_on=business_today())
    html = client.get(reverse("accounts:detail", args=[lead.account_id])).content.decode()
    assert (chosen(html, "kind"), chosen(html, "content_stage"), chosen(html, "channel")) == (
        "digital", "education", "email")  # the open alert's requirement, not the state's first (human, phone)
    loyal = AccountFactory(state=State.LOYAL)
    html = client.get(reverse("accounts:detail", args=[loyal.pk])).content.decode()
    assert (chosen(html, "kind"), chosen(html, "content_stage"), chosen(html, "channel")) == (
        "human", "relation", "visit")
