"""The SLA sweep (docs/rules.md §8): an SLA alert past due_at, an escalation past twice the SLA in business hours
from the same start — across nights, weekends and Japanese holidays — each raised once however often it runs."""

import datetime as dt

import pytest
from django.conf import settings

from core.choices import Role
from core.models import AuditEntry
from handoffs.models import Handoff, HandoffAlert
from handoffs.services import handoff_accept, handoff_alert_acknowledge, handoff_sla_sweep
from handoffs.tasks import handoff_sla_sweep_task
from tests.handoffs.helpers import at, make_handoff, person

pytestmark = pytest.mark.django_db
FRI = dt.date(2026, 7, 17)  # Monday 07-20 is Marine Day


def alerts(kind):
    return sorted((a.recipient.username if a.recipient else None, a.recipient_role, a.status)
                  for a in HandoffAlert.objects.filter(kind=kind))


@pytest.fixture
def east():
    """The assignee of team east, its two managers, a manager of another team and one without a team."""
    return {
        "sales2": person("sales2", Role.SALES, team="east"),
        "boss1": person("boss1", Role.MANAGER, team="east"), "boss2": person("boss2", Role.MANAGER, team="east"),
        "west": person("westboss", Role.MANAGER, team="west"), "free": person("freeboss", Role.MANAGER),
        "gone": person("goneboss", Role.MANAGER, team="east", is_active=False),
        "admin": person("root", Role.ADMIN, team="east"),
    }


def test_rule_2_created_friday_alerts_after_17_00_and_escalates_after_tuesday_16_00(east):
    # The worked example of §8: 8 business hours from Fri 09:00 → 17:00; 16 → Tue 07-21 16:00 (Marine Day off).
    handoff = make_handoff(rule=2, created_on=FRI, assignee=east["sales2"])
    assert (handoff.due_at, handoff.escalate_at) == (at(2026, 7, 17, 17), at(2026, 7, 21, 16))
    assert handoff_sla_sweep(now=at(2026, 7, 17, 17)).sla_alerts == 0  # at due_at: not past it yet
    assert handoff_sla_sweep(now=at(2026, 7, 17, 17, 1)).sla_alerts == 1
    assert alerts("sla") == [("sales2", "sales", "open")]
    # The weekend and the holiday pass: not yet twice the SLA in business hours.
    for moment in (at(2026, 7, 18, 12), at(2026, 7, 20, 17), at(2026, 7, 21, 16)):
        stats = handoff_sla_sweep(now=moment)
        assert (stats.sla_alerts, stats.escalations) == (0, 0)
    stats = handoff_sla_sweep(now=at(2026, 7, 21, 16, 15))
    assert (stats.sla_alerts, stats.escalations) == (0, 1)
    # The managers of the assignee's team, active ones, no one else.
    assert alerts("escalation") == [("boss1", "manager", "open"), ("boss2", "manager", "open")]
    handoff.refresh_from_db()
    assert (handoff.sla_breached, handoff.escalated) == (True, True)


def test_a_rerun_of_the_sweep_raises_nothing_twice(east):
    make_handoff(rule=2, created_on=FRI, assignee=east["sales2"])
    late = at(2026, 7, 22, 12)
    first = handoff_sla_sweep(now=late)  # both at once: the SLA alert and the escalation
    assert (first.sla_alerts, first.escalations) == (1, 1)
    again = handoff_sla_sweep(now=late + dt.timedelta(minutes=15))
    assert (again.sla_alerts, again.escalations) == (0, 0)
    assert HandoffAlert.objects.count() == 3
    assert AuditEntry.objects.filter(action__in=("handoff.sla_breached", "handoff.escalated")).count() == 2


def test_a_rerun_after_the_alert_was_acknowledged_does_not_raise_it_again(east):
    make_handoff(rule=2, created_on=FRI, assignee=east["sales2"])
    handoff_sla_sweep(now=at(2026, 7, 17, 18))
    alert = HandoffAlert.objects.get()
    handoff_alert_acknowledge(alert_id=alert.id, actor=east["sales2"])
    Handoff.objects.update(sla_breached=False)  # even were the flag lost, the constraint holds
    handoff_sla_sweep(now=at(2026, 7, 17, 18, 15))
    alert.refresh_from_db()
    assert HandoffAlert.objects.count() == 1 and alert.status == "acknowledged"


def test_an_unassigned_handoff_alerts_its_to_role_queue_and_escalates_to_every_manager(east):
    make_handoff(rule=2, created_on=FRI)
    handoff_sla_sweep(now=at(2026, 7, 22, 9))
    assert alerts("sla") == [(None, "sales", "open")]
    assert alerts("escalation") == [(name, "manager", "open") for name in ("boss1", "boss2", "freeboss", "westboss")]


def test_an_assignee_without_a_team_escalates_to_every_manager(east):
    loner = person("loner", Role.SALES)
    make_handoff(rule=2, created_on=FRI, assignee=loner)
    handoff_sla_sweep(now=at(2026, 7, 22, 9))
    assert [r[0] for r in alerts("escalation")] == ["boss1", "boss2", "freeboss", "westboss"]


@pytest.mark.parametrize(("created_on", "hours_rule", "due", "escalates"), [
    # Created Saturday 07-18, 8 h: the clock starts Tuesday 09:00 → due Tue 17:00; 16 h → Wed 07-22 16:00.
    (dt.date(2026, 7, 18), 2, at(2026, 7, 21, 17), at(2026, 7, 22, 16)),
    # Golden Week: Saturday 05-02, 24 h (05-04..05-06 off, 05-06 a substitute holiday) → Mon 05-11 15:00;
    # 48 h → Thu 05-14 12:00.
    (dt.date(2026, 5, 2), 3, at(2026, 5, 11, 15), at(2026, 5, 14, 12)),
    # Silver Week: Saturday 09-19, 8 h (09-21, the citizens' holiday 09-22, 09-23 off) → Thu 09-24 17:00;
    # 16 h → Fri 09-25 16:00.
    (dt.date(2026, 9, 19), 2, at(2026, 9, 24, 17), at(2026, 9, 25, 16)),
])
def test_sla_and_escalation_times_skip_weekends_and_japanese_holidays(east, created_on, hours_rule, due, escalates):
    handoff = make_handoff(rule=hours_rule, created_on=created_on, assignee=east["sales2"])
    assert (handoff.due_at, handoff.escalate_at) == (due, escalates)
    minute = dt.timedelta(minutes=1)
    assert handoff_sla_sweep(now=due).sla_alerts == 0
    stats = handoff_sla_sweep(now=due + minute)
    assert (stats.sla_alerts, stats.escalations) == (1, 0)
    assert handoff_sla_sweep(now=escalates).escalations == 0
    assert handoff_sla_sweep(now=escalates + minute).escalations == 1


def test_a_decided_or_superseded_handoff_raises_nothing(east):
    decided = make_handoff(rule=2, created_on=FRI, assignee=east["sales2"])
    handoff_accept(handoff_id=decided.id, actor=east["sales2"])
    make_handoff(rule=2, created_on=FRI, status=Handoff.Status.SUPERSEDED)
    stats = handoff_sla_sweep(now=at(2026, 8, 1, 9))
    assert (stats.sla_alerts, stats.escalations) == (0, 0)
    assert HandoffAlert.objects.count() == 0


def test_a_handoff_made_before_escalation_times_were_kept_gets_one_from_its_sla(east):
    handoff = make_handoff(rule=2, created_on=FRI, assignee=east["sales2"])
    Handoff.objects.filter(id=handoff.id).update(escalate_at=None, sla_business_hours=None)  # rule-less, old
    stats = handoff_sla_sweep(now=at(2026, 7, 17, 12))
    assert (stats.filled, stats.sla_alerts, stats.escalations) == (1, 0, 0)
    handoff.refresh_from_db()
    assert (handoff.sla_business_hours, handoff.escalate_at) == (8, at(2026, 7, 21, 16))


def test_the_task_runs_the_sweep_and_beat_runs_it_every_15_minutes_with_an_expiry(east):
    make_handoff(rule=2, created_on=dt.date(2020, 1, 6), assignee=east["sales2"])
    assert handoff_sla_sweep_task.delay().get() == {"sla_alerts": 1, "escalations": 1, "filled": 0}
    entry = settings.CELERY_BEAT_SCHEDULE["handoff-sla-sweep"]
    assert entry["task"] == "handoffs.sla_sweep"
    assert entry["schedule"].minute == {0, 15, 30, 45}
    assert 0 < entry["options"]["expires"] <= 15 * 60
