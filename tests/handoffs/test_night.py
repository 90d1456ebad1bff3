"""What the night stores on a new handoff for the feedback figures, and the handoff alerts a newer handoff resolves
(docs/rules.md §8)."""

import datetime as dt

import pytest

from core.choices import Role
from engine.services import recompute_all
from handoffs.models import Handoff, HandoffAlert
from handoffs.selectors import handoff_lead_sources
from handoffs.services import handoff_alert_acknowledge, handoff_reject
from profiles.services import profile_save
from tests.factories import AccountFactory, LeadFactory, OpportunityFactory
from tests.handoffs.helpers import CAL, at, person

pytestmark = pytest.mark.django_db
D = dt.date(2026, 7, 20)  # Monday, Marine Day


def days(n):
    return dt.timedelta(days=n)


@pytest.fixture
def world():
    """An account whose lead turns hot on D − 1 (rule 1, marketing → inside_sales) and which opens a deal on D
    (rule 2, inside_sales → sales)."""
    marketer, inside, sales = person("mk1", Role.MARKETING), person("is1", Role.INSIDE_SALES), person("sa1", Role.SALES)
    profile = profile_save(name="Makers", rescore=False, criteria=[
        {"attribute": "industry", "op": "in", "value": ["manufacturing"], "weight": 1},
        {"attribute": "employees", "op": "gte", "value": 1000, "weight": 1},
    ]).profile
    account = AccountFactory(owner_marketing=marketer, owner_inside_sales=inside, owner_sales=sales,
                             industry="manufacturing", employees=None)
    LeadFactory(account=account, created_on=D - days(30), score=10, source="trade_show")
    recompute_all(as_of=D - days(2))
    return {"account": account, "marketer": marketer, "inside": inside, "sales": sales, "profile": profile}


def test_a_new_handoff_keeps_its_sender_icp_and_lead_source_as_of_its_night(world):
    LeadFactory(account=world["account"], created_on=D - days(1), score=90, source="webinar")
    LeadFactory(account=world["account"], created_on=D - days(1), score=20, source="cold_call")
    LeadFactory(account=world["account"], created_on=D + days(5), score=99, source="later")  # after the night
    recompute_all(as_of=D - days(1))
    handoff = Handoff.objects.get()
    assert (handoff.rule_name, handoff.sender, handoff.assignee) == ("lead-to-inside-sales", world["marketer"],
                                                                     world["inside"])
    assert (handoff.icp_fit, handoff.icp_profile, handoff.icp_profile_name, handoff.icp_tier) == (
        50, world["profile"], "Makers", "B")
    assert handoff.lead_source == "webinar"  # the open lead with the highest score
    # 16 business hours from Sunday 07-19: Monday is Marine Day → due Wed 07-22 16:00; twice → Fri 07-24 14:00.
    assert handoff.sla_business_hours == 16
    assert handoff.due_at == at(2026, 7, 22, 16)
    assert handoff.escalate_at == at(2026, 7, 24, 14)


def test_the_lead_source_is_the_best_open_lead_or_else_the_latest_lead():
    scored, unscored, closed, none = AccountFactory(), AccountFactory(), AccountFactory(), AccountFactory()
    LeadFactory(account=scored, created_on=D - days(9), score=70, source="a")
    LeadFactory(account=scored, created_on=D - days(1), score=70, source="b")  # the same score: the later one
    LeadFactory(account=scored, created_on=D - days(2), score=None, source="c")
    LeadFactory(account=unscored, created_on=D - days(2), score=None, source="only")
    LeadFactory(account=closed, created_on=D - days(9), closed_on=D - days(5), source="older")
    LeadFactory(account=closed, created_on=D - days(8), closed_on=D, source="latest-closed")  # closed by D
    LeadFactory(account=none, created_on=D + days(1), source="future")
    assert handoff_lead_sources(account_ids=[scored.id, unscored.id, closed.id, none.id], as_of=D) == {
        scored.id: "b", unscored.id: "only", closed.id: "latest-closed"}


def test_a_newer_handoff_resolves_the_returned_alert_and_the_superseded_handoffs_sla_alerts(world):
    LeadFactory(account=world["account"], created_on=D - days(1), score=90, source="webinar")
    recompute_all(as_of=D - days(1))
    first = Handoff.objects.get()
    handoff_reject(handoff_id=first.id, actor=world["inside"], reason="bad_timing", comment="after the holidays")
    returned = HandoffAlert.objects.get(kind="returned")
    assert returned.recipient == world["marketer"]
    other = AccountFactory()
    untouched = HandoffAlert.objects.create(handoff=Handoff.objects.create(
        account=other, from_state="LEAD", to_state="HOT_LEAD", from_role="marketing", to_role="inside_sales",
        model="baton", created_on=D, due_at=at(2026, 7, 21, 17)), kind="sla", recipient_role="inside_sales",
        opened_at=at(2026, 7, 21, 18))
    OpportunityFactory(account=world["account"], opened_on=D)
    recompute_all(as_of=D)  # HOT_LEAD → NEGOTIATION: a newer handoff of the account
    returned.refresh_from_db()
    assert (returned.status, returned.resolved_at is not None) == ("resolved", True)
    untouched.refresh_from_db()
    assert untouched.status == "open"  # another account's
    recompute_all(as_of=D)  # a rerun changes nothing
    assert Handoff.objects.filter(account=world["account"]).count() == 2


def test_an_acknowledged_returned_alert_stays_resolved_when_a_newer_handoff_comes(world):
    LeadFactory(account=world["account"], created_on=D - days(1), score=90)
    recompute_all(as_of=D - days(1))
    handoff_reject(handoff_id=Handoff.objects.get().id, actor=world["inside"], reason="no_need")
    alert = handoff_alert_acknowledge(alert_id=HandoffAlert.objects.get().id, actor=world["marketer"])
    resolved_at = alert.resolved_at
    OpportunityFactory(account=world["account"], opened_on=D)
    recompute_all(as_of=D)
    alert.refresh_from_db()
    assert (alert.status, alert.resolved_at) == ("resolved", resolved_at)


def test_the_calendar_counts_business_hours_between_two_times():
    from handoffs.calendar import business_hours_between

    # Fri 07-17 16:00 → Tue 07-21 10:00: 2 h on Friday, the weekend and Marine Day off, 1 h on Tuesday.
    assert business_hours_between(start=at(2026, 7, 17, 16), end=at(2026, 7, 21, 10), calendar=CAL) == 3
    assert business_hours_between(start=at(2026, 7, 18, 0), end=at(2026, 7, 18, 23), calendar=CAL) == 0
    assert business_hours_between(start=at(2026, 7, 21, 10), end=at(2026, 7, 21, 9), calendar=CAL) == 0
