"""The live feedback figures are cached (handoffs.selectors.handoff_feedback, docs/rules.md §8 "Handoff feedback"):
an unchanged read costs one query, and whatever changes the figures shows in the very next read — a decision, a
reassignment, a night's new handoffs, a decision written by another process, and the clock passing a pending
handoff's due time."""

import datetime as dt

import pytest
from django.utils import timezone

from core.choices import Role
from handoffs.models import Handoff
from handoffs.selectors import handoff_feedback
from handoffs.services import handoff_accept, handoff_reassign
from tests.handoffs.helpers import at, make_handoff, person

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 7, 13)  # rule 2 (8 business hours): due Mon 17:00


@pytest.fixture
def clock(monkeypatch):
    """Sets timezone.now (the services' decision time and the figures' now)."""
    def set_to(when):
        monkeypatch.setattr(timezone, "now", lambda: when)
    set_to(at(2026, 7, 13, 11))
    return set_to


@pytest.fixture
def people():
    return {"ra": person("ra", Role.SALES, "east"), "rb": person("rb", Role.SALES, "east"),
            "s1": person("s1", Role.INSIDE_SALES, "east"), "boss": person("boss", Role.MANAGER, "east")}


@pytest.fixture
def pending(people):
    return [make_handoff(rule=2, created_on=MONDAY, assignee=people["ra"], sender=people["s1"], icp_tier="A")
            for _ in range(2)]


def read() -> dict:
    return handoff_feedback(start=MONDAY, end=MONDAY + dt.timedelta(days=6))


def receivers(data) -> dict:
    return {row["key"]: row["handoffs"] for row in data["by_receiver"]}


def test_an_unchanged_read_comes_from_the_cache_in_one_query(clock, pending, django_assert_num_queries):
    first = read()
    assert first["overall"]["pending"] == 2
    with django_assert_num_queries(1):
        assert read() == first


def test_a_decision_shows_in_the_next_read(clock, people, pending, django_capture_on_commit_callbacks):
    assert read()["overall"]["accepted"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        handoff_accept(actor=people["ra"], handoff_id=pending[0].id)
    after = read()["overall"]
    assert (after["accepted"], after["pending"], after["acceptance_rate"]) == (1, 1, 1.0)
    assert after["median_business_hours_to_decision"] == 2.0  # Mon 09:00 to 11:00


def test_a_reassignment_shows_in_the_next_read(clock, people, pending, django_capture_on_commit_callbacks):
    assert receivers(read()) == {"ra": 2}
    with django_capture_on_commit_callbacks(execute=True):
        handoff_reassign(actor=people["boss"], assignee=people["rb"], handoff_id=pending[1].id)
    assert receivers(read()) == {"ra": 1, "rb": 1}


def test_a_nights_new_handoffs_show_in_the_next_read(clock, people, pending):
    assert read()["overall"]["handoffs"] == 2
    # Written as the night writes them (bulk, in the worker's process: nothing here is told).
    Handoff.objects.bulk_create([Handoff(**{field: getattr(pending[0], field) for field in (
        "account_id", "rule_name", "from_state", "to_state", "from_role", "to_role", "model", "created_on",
        "due_at", "sla_business_hours", "escalate_at", "sender_id", "icp_tier")}, assignee=people["rb"])])
    data = read()
    assert data["overall"]["handoffs"] == 3
    assert receivers(data) == {"ra": 2, "rb": 1}


def test_a_decision_written_by_another_process_shows_in_the_next_read(clock, people, pending):
    assert read()["overall"]["rejected"] == 0
    Handoff.objects.filter(pk=pending[0].pk).update(
        status=Handoff.Status.REJECTED, reason="no_budget", decided_at=at(2026, 7, 13, 10, 30), decided_by=people["ra"],
        decision_business_hours=1.5)
    after = read()["overall"]
    assert (after["rejected"], after["pending"], after["rejection_reasons"]["no_budget"]) == (1, 1, 1)


def test_a_pending_handoff_passing_its_due_time_counts_as_breached_at_once(clock, pending):
    clock(at(2026, 7, 13, 16, 59))
    assert read()["overall"]["breached"] == 0
    clock(at(2026, 7, 13, 17, 1))
    assert read()["overall"]["breached"] == 2
