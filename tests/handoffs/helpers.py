"""Shared data for the handoff tests: people by role and team, and a handoff made as the night makes it."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from core.choices import Role
from handoffs.calendar import BusinessCalendar, escalation_time, sla_due_at
from handoffs.models import Handoff
from tests.factories import AccountFactory, UserFactory

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
CAL = BusinessCalendar(zone=TOKYO)

# The default rules of docs/rules.md §8: (name, from_role, to_role, model, SLA hours)
RULES = {
    1: ("lead-to-inside-sales", Role.MARKETING, Role.INSIDE_SALES, "baton", 16),
    2: ("inside-sales-to-sales", Role.INSIDE_SALES, Role.SALES, "baton", 8),
    3: ("sales-to-csm-onboarding", Role.SALES, Role.CSM, "three_legged", 24),
    4: ("csm-to-sales-active", Role.CSM, Role.SALES, "three_legged", 24),
}
STATES = {1: ("LEAD", "HOT_LEAD"), 2: ("HOT_LEAD", "NEGOTIATION"), 3: ("NEGOTIATION", "ONBOARDING"),
          4: ("ONBOARDING", "ACTIVE")}


def at(y, m, d, h=0, minute=0) -> dt.datetime:
    return dt.datetime(y, m, d, h, minute, tzinfo=TOKYO)


def person(username: str, role: str, team: str = "", **kwargs):
    return UserFactory(username=username, role=role, team=team, **kwargs)


def make_handoff(*, rule: int, account=None, created_on: dt.date = dt.date(2026, 7, 17), assignee=None,
                 **fields) -> Handoff:
    """A pending handoff of one of the default rules, with due_at and escalate_at as the night computes them."""
    name, from_role, to_role, model, hours = RULES[rule]
    from_state, to_state = STATES[rule]
    return Handoff.objects.create(
        account=account or AccountFactory(), rule_name=name, from_state=from_state, to_state=to_state,
        from_role=from_role, to_role=to_role, model=model, created_on=created_on, assignee=assignee,
        due_at=sla_due_at(start=created_on, business_hours=hours, calendar=CAL), sla_business_hours=hours,
        escalate_at=escalation_time(created_on=created_on, sla_business_hours=hours, calendar=CAL), **fields)
