"""The feedback figures (docs/rules.md §8, "Handoff feedback") on a handful of handoffs worked out by hand."""

import datetime as dt

import pytest

from core.choices import Role
from handoffs.models import Handoff
from handoffs.selectors import handoff_feedback
from tests.factories import AccountFactory
from tests.handoffs.helpers import CAL, at, person

pytestmark = pytest.mark.django_db
NOW = at(2026, 7, 17, 12)  # Friday noon


def handoff(rule, created_on, *, sender=None, assignee=None, status="pending", decided_at=None, decided_by=None,
            reason="", tier="", source="", profile=""):
    return Handoff.objects.create(
        account=AccountFactory(), rule_name=rule, from_state="HOT_LEAD", to_state="NEGOTIATION",
        from_role="inside_sales", to_role="sales", model="baton", created_on=created_on, status=status,
        assignee=assignee, sender=sender, due_at=at(created_on.year, created_on.month, created_on.day, 17),
        decided_at=decided_at, decided_by=decided_by, reason=reason, icp_tier=tier, lead_source=source,
        icp_profile_name=profile)


@pytest.fixture
def figures():
    s1, s2 = person("s1", Role.INSIDE_SALES), person("s2", Role.INSIDE_SALES)
    ra, rb = person("ra", Role.SALES), person("rb", Role.SALES)
    # Accepted Monday 11:00: 2 business hours after its start (Mon 09:00), before due (17:00).
    handoff("r1", dt.date(2026, 7, 13), sender=s1, assignee=ra, status="accepted", decided_at=at(2026, 7, 13, 11),
            decided_by=ra, tier="A", source="web", profile="Makers")
    # Rejected Wednesday 10:00: Tuesday's 9 hours and 1 → 10; after its due time (Tue 17:00): breached.
    handoff("r1", dt.date(2026, 7, 14), sender=s1, assignee=ra, status="rejected", decided_at=at(2026, 7, 15, 10),
            decided_by=ra, reason="no_budget", tier="B", source="web", profile="Makers")
    # Rejected Wednesday 13:00 by a manager-free receiver: 4 hours.
    handoff("r2", dt.date(2026, 7, 15), sender=s2, assignee=rb, status="rejected", decided_at=at(2026, 7, 15, 13),
            decided_by=rb, reason="no_budget", tier="A", source="event", profile="Makers")
    # Pending past its due time (Thu 17:00) at Friday noon, not swept yet: breached.
    handoff("r2", dt.date(2026, 7, 16), sender=s2)
    # Superseded before its due time: neither decided nor breached.
    handoff("r1", dt.date(2026, 7, 17), status="superseded")
    # Outside the period.
    handoff("r1", dt.date(2026, 7, 10), sender=s1, assignee=ra, status="accepted", decided_at=at(2026, 7, 10, 10),
            decided_by=ra)
    return handoff_feedback(start=dt.date(2026, 7, 13), end=dt.date(2026, 7, 17), now=NOW, calendar=CAL)


def reasons(**counts):
    return {code: counts.get(code, 0) for code in Handoff.RejectReason.values}


def test_the_overall_figures(figures):
    assert (figures["start"], figures["end"]) == ("2026-07-13", "2026-07-17")
    assert figures["overall"] == {
        "handoffs": 5, "accepted": 1, "rejected": 2, "pending": 1, "superseded": 1, "decided": 3,
        "acceptance_rate": 0.3333, "median_business_hours_to_decision": 4.0,  # of 2, 10 and 4
        "breached": 2, "breached_share": 0.4, "rejection_reasons": reasons(no_budget=2),
    }


def by(figures, name):
    return {group["key"]: group for group in figures[f"by_{name}"]}


def test_figures_by_rule(figures):
    rules = by(figures, "rule")
    assert list(rules) == ["r1", "r2"]
    r1, r2 = rules["r1"], rules["r2"]
    assert (r1["handoffs"], r1["accepted"], r1["rejected"], r1["acceptance_rate"]) == (3, 1, 1, 0.5)
    assert (r1["median_business_hours_to_decision"], r1["breached"], r1["breached_share"]) == (6.0, 1, 0.3333)
    assert (r2["handoffs"], r2["acceptance_rate"], r2["median_business_hours_to_decision"], r2["breached_share"]) == (
        2, 0.0, 4.0, 0.5)
    assert r2["rejection_reasons"] == reasons(no_budget=1)


def test_figures_by_sender_and_receiver(figures):
    senders = by(figures, "sender")
    assert {key: g["handoffs"] for key, g in senders.items()} == {"s1": 2, "s2": 2, None: 1}
    assert senders["s1"]["acceptance_rate"] == 0.5 and senders["s2"]["acceptance_rate"] == 0.0
    receivers = by(figures, "receiver")  # who decided, or the assignee while undecided
    assert {key: (g["handoffs"], g["decided"]) for key, g in receivers.items()} == {
        "ra": (2, 2), "rb": (1, 1), None: (2, 0)}
    assert receivers[None]["acceptance_rate"] is None and receivers[None]["median_business_hours_to_decision"] is None


def test_figures_by_icp_profile_tier_and_lead_source(figures):
    assert {k: g["handoffs"] for k, g in by(figures, "icp_profile").items()} == {"Makers": 3, None: 2}
    tiers = by(figures, "icp_tier")
    assert {k: (g["accepted"], g["rejected"]) for k, g in tiers.items()} == {"A": (1, 1), "B": (0, 1), None: (0, 0)}
    assert tiers["B"]["breached_share"] == 1.0
    sources = by(figures, "lead_source")
    assert {k: g["handoffs"] for k, g in sources.items()} == {"web": 2, "event": 1, None: 2}
    assert sources["web"]["median_business_hours_to_decision"] == 6.0


def test_an_empty_period_has_zeros_and_no_rates():
    data = handoff_feedback(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31), now=NOW, calendar=CAL)
    assert data["overall"]["handoffs"] == 0 and data["overall"]["acceptance_rate"] is None
    assert data["overall"]["breached_share"] is None and data["by_rule"] == []


def test_the_figures_take_a_fixed_number_of_queries(django_assert_max_num_queries):
    for day in range(13, 18):
        for _ in range(5):
            handoff(f"r{day}", dt.date(2026, 7, day), status="accepted", decided_at=at(2026, 7, day, 15),
                    sender=person(f"s{day}", Role.INSIDE_SALES))
    with django_assert_max_num_queries(8):
        data = handoff_feedback(start=dt.date(2026, 7, 13), end=dt.date(2026, 7, 17), now=NOW, calendar=CAL)
    assert data["overall"]["handoffs"] == 25 and data["overall"]["median_business_hours_to_decision"] == 6.0


# --- the hours to decision kept on each handoff (handoffs/0006) -----------------------------------------------------

def _decided_mix():
    """Handoffs over a weekend and a holiday with their hours stored as the services store them: 2, 10, 12, 1, 31."""
    from handoffs.calendar import business_hours_between

    rx = person("rx", Role.SALES)
    for created, decided, tier in ((dt.date(2026, 7, 13), at(2026, 7, 13, 11), "A"),   # Mon 09:00 → 11:00: 2
                                   (dt.date(2026, 7, 17), at(2026, 7, 21, 10), "A"),   # Fri 9 + Marine Day 0 + 1: 10
                                   (dt.date(2026, 7, 14), at(2026, 7, 15, 12), "C"),   # 9 + 3: 12
                                   (dt.date(2026, 7, 15), at(2026, 7, 15, 10), "C"),   # 1
                                   (dt.date(2026, 7, 13), at(2026, 7, 16, 13), "C")):  # 9 + 9 + 9 + 4: 31
        begins = dt.datetime.combine(created, dt.time(0), tzinfo=CAL.zone)
        h = handoff("r1", created, assignee=rx, status="accepted", decided_at=decided, decided_by=rx, tier=tier)
        Handoff.objects.filter(pk=h.pk).update(
            decision_business_hours=business_hours_between(start=begins, end=decided, calendar=CAL))


def test_the_stored_hours_give_the_same_medians_as_counting_them_here():
    _decided_mix()
    stored = handoff_feedback(start=dt.date(2026, 7, 13), end=dt.date(2026, 7, 17), now=NOW, calendar=CAL)
    assert stored["overall"]["median_business_hours_to_decision"] == 10.0  # of 1, 2, 10, 12, 31
    tiers = {g["key"]: g["median_business_hours_to_decision"] for g in stored["by_icp_tier"]}
    assert tiers == {"A": 6.0, "C": 12.0}
    Handoff.objects.update(decision_business_hours=None)  # as before the hours were kept: counted here
    assert handoff_feedback(start=dt.date(2026, 7, 13), end=dt.date(2026, 7, 17), now=NOW, calendar=CAL) == stored


def test_one_handoff_without_its_stored_hours_still_counts_in_the_medians():
    _decided_mix()
    Handoff.objects.filter(decided_at=at(2026, 7, 16, 13)).update(decision_business_hours=None)
    data = handoff_feedback(start=dt.date(2026, 7, 13), end=dt.date(2026, 7, 17), now=NOW, calendar=CAL)
    assert data["overall"]["median_business_hours_to_decision"] == 10.0
    assert {g["key"]: g["median_business_hours_to_decision"] for g in data["by_icp_tier"]} == {"A": 6.0, "C": 12.0}


def test_the_migration_fills_the_hours_of_the_handoffs_decided_before(monkeypatch):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("handoffs.migrations.0006_handoff_decision_business_hours")
    _decided_mix()
    pending = handoff("r1", dt.date(2026, 7, 16))
    Handoff.objects.update(decision_business_hours=None)
    monkeypatch.setattr(migration, "BATCH", 2)  # more than one page
    migration.fill_decision_hours(apps, None)
    assert sorted(Handoff.objects.exclude(pk=pending.pk).values_list("decision_business_hours", flat=True)) == [
        1.0, 2.0, 10.0, 12.0, 31.0]
    assert Handoff.objects.get(pk=pending.pk).decision_business_hours is None


def test_the_figures_of_one_icp_profile_and_one_grouping(django_assert_max_num_queries):
    from profiles.services import profile_save

    makers = profile_save(name="Makers", rescore=False, criteria=[
        {"attribute": "industry", "op": "eq", "value": "manufacturing", "weight": 100}]).profile
    _decided_mix()
    Handoff.objects.filter(icp_tier="C").update(icp_profile=makers)
    with django_assert_max_num_queries(3):
        data = handoff_feedback(start=dt.date(2026, 7, 13), end=dt.date(2026, 7, 17), now=NOW, calendar=CAL,
                                icp_profile_id=makers.pk, dimensions=("icp_tier",))
    assert set(data) == {"start", "end", "overall", "by_icp_tier"}
    assert data["overall"]["handoffs"] == 3 and data["overall"]["median_business_hours_to_decision"] == 12.0
    assert [g["key"] for g in data["by_icp_tier"]] == ["C"]


def test_a_period_that_ends_before_it_starts_is_empty():
    _decided_mix()
    data = handoff_feedback(start=dt.date(2026, 7, 17), end=dt.date(2026, 7, 13), now=NOW, calendar=CAL)
    assert data["overall"]["handoffs"] == 0 and data["by_icp_tier"] == []
