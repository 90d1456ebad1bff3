"""Handoff rules and the business calendar (docs/rules.md §8)."""

import datetime as dt
import zoneinfo

import pytest

from handoffs.calendar import BusinessCalendar, sla_due_at
from handoffs.domain import RuleSpec, pick_rule
from handoffs.services import handoff_sla_sweep

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
CAL = BusinessCalendar(zone=TOKYO)


def at(y, m, d, h, minute=0):
    return dt.datetime(y, m, d, h, minute, tzinfo=TOKYO)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (dt.date(2026, 7, 17), 8, at(2026, 7, 17, 17)),  # Friday 09:00 + 8h
        (dt.date(2026, 7, 17), 9, at(2026, 7, 17, 18)),  # a full day ends at 18:00 the same day
        (dt.date(2026, 7, 17), 16, at(2026, 7, 21, 16)),  # Mon 7/20 is Marine Day: Tuesday 16:00
        (dt.date(2026, 7, 17), 40, at(2026, 7, 24, 13)),  # 4 business days + 4 h
        (dt.date(2026, 7, 18), 8, at(2026, 7, 21, 17)),  # created on a Saturday: the clock starts Tuesday 09:00
        (dt.date(2026, 5, 2), 24, at(2026, 5, 11, 15)),  # Golden Week incl. the substitute holiday 5/6
        (dt.date(2026, 9, 19), 8, at(2026, 9, 24, 17)),  # Saturday; 9/21 Respect for the Aged, 9/22 citizens' holiday, 9/23 equinox
    ],
)
def test_sla_is_counted_in_business_hours_from_the_first_business_hour(start, hours, due):
    assert sla_due_at(start=start, business_hours=hours, calendar=CAL) == due


def test_substitute_and_citizens_holidays_are_off():
    assert not CAL.is_business_day(dt.date(2026, 5, 6))
    assert not CAL.is_business_day(dt.date(2026, 9, 22))
    assert CAL.is_business_day(dt.date(2026, 5, 7))


def rule(order, to_state, from_states=(), active=True, name=""):
    return RuleSpec(id=order, name=name or f"r{order}", order=order, to_state=to_state, from_states=tuple(from_states),
                    from_role="a", to_role="b", model="baton", sla_business_hours=8, active=active)


def test_the_first_active_rule_in_order_whose_states_match_is_picked():
    rules = [rule(3, "NEGOTIATION", name="any"), rule(1, "NEGOTIATION", ["LEAD"], active=False),
             rule(2, "NEGOTIATION", ["HOT_LEAD"], name="from-hot")]
    assert pick_rule(rules, "HOT_LEAD", "NEGOTIATION").name == "from-hot"
    assert pick_rule(rules, "LEAD", "NEGOTIATION").name == "any"
    assert pick_rule(rules, "LEAD", "ACTIVE") is None


@pytest.mark.django_db
def test_breached_pending_handoffs_are_flagged_for_their_receiver():
    from handoffs.models import Handoff
    from tests.factories import AccountFactory

    account = AccountFactory()
    late = Handoff.objects.create(account=account, from_state="LEAD", to_state="HOT_LEAD", from_role="marketing",
                                  to_role="inside_sales", model="baton", created_on=dt.date(2026, 7, 1),
                                  due_at=at(2026, 7, 2, 10))
    assert handoff_sla_sweep(now=at(2026, 7, 2, 11)).sla_alerts == 1
    late.refresh_from_db()
    assert late.sla_breached
