"""The demo's six months (core.demo_history, core.demo_handoffs): `seed_demo` runs the real nights for past dates,
so every dashboard has a nightly history to read, and the outcomes page finds what a real organisation's would —
covered NEGOTIATION accounts win more often, tier A converts more, covered customers churn less."""

import datetime as dt
import io
import zoneinfo

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import Account
from core.choices import Role
from core.demo_handoffs import night_dates
from core.models import AuditEntry, User
from core.timeutil import business_today
from dashboards.models import BreadthSnapshot, DailySnapshot, DepthSnapshot
from engine.models import RecomputeRun
from engine.services import recompute_all
from handoffs.models import Handoff, HandoffAlert
from handoffs.selectors import handoff_feedback

pytestmark = pytest.mark.django_db
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")

STATES_WITHOUT_REQUIREMENTS = {"TARGET_NO_LEAD", "OUT_OF_SCOPE"}
# Accounts a side at least, for a direction to mean something in the tests' smaller organisation (the default demo
# has several times more; the page's verdict asks for 30, dashboards.outcomes.MIN_SAMPLE).
MIN_SIDE = 15


def test_the_nights_run_weekly_then_every_day_up_to_today():
    today = dt.date(2026, 7, 20)
    nights = night_dates(today=today, history_days=184, daily_days=28)
    assert nights[0] == dt.date(2026, 1, 17) and nights[-1] == today
    assert nights == sorted(set(nights))
    gaps = [(b - a).days for a, b in zip(nights, nights[1:])]
    assert max(gaps) == 7 and gaps[-28:] == [1] * 28 and gaps[-29] > 1
    assert night_dates(today=today, history_days=0) == [today]


def test_the_demo_leaves_six_months_of_nights_each_with_every_snapshot_the_dashboards_read(demo):
    today = business_today()
    runs = list(RecomputeRun.objects.order_by("as_of").values_list("as_of", "status"))
    assert {status for _, status in runs} == {RecomputeRun.Status.COMPLETED}
    nights = [as_of for as_of, _ in runs]
    assert nights[-1] == today and (today - nights[0]).days >= 180
    assert f"nights={len(nights)}" in demo
    assert max((b - a).days for a, b in zip(nights, nights[1:])) <= 7
    assert nights[-28:] == [today - dt.timedelta(days=k) for k in range(27, -1, -1)]  # the last four weeks daily
    assert list(DailySnapshot.objects.order_by("as_of").values_list("as_of", flat=True)) == nights
    for model in (DepthSnapshot, BreadthSnapshot):
        assert sorted(set(model.objects.values_list("as_of", flat=True))) == nights, model.__name__
    # Whatever else a night keeps for the dashboards (funnel, movement, content mix, outcomes, workload…) is kept.
    for model in apps.get_app_config("dashboards").get_models():
        if any(f.name == "as_of" for f in model._meta.fields):
            assert model.objects.filter(as_of__gte=nights[0]).exists(), model.__name__


def _compliance(snapshot: DailySnapshot) -> float:
    rows = [row for state, row in snapshot.by_state.items() if state not in STATES_WITHOUT_REQUIREMENTS]
    return sum(r["compliant"] for r in rows) / max(1, sum(r["accounts"] for r in rows))


def test_the_demo_trends_live_compliance_rises_over_the_months_and_the_nights_differ(demo):
    snapshots = list(DailySnapshot.objects.order_by("as_of"))
    compliance = [_compliance(s) for s in snapshots]
    first_month, last_month = compliance[:4], compliance[-28:]
    assert sum(last_month) / len(last_month) > sum(first_month) / len(first_month) + 0.02
    assert len({round(c, 4) for c in compliance}) > len(compliance) // 2
    runs = RecomputeRun.objects.filter(as_of__gt=snapshots[0].as_of)
    assert runs.filter(transitions__gt=0).count() >= 0.8 * runs.count()  # accounts move nearly every night
    assert runs.filter(alerts_opened__gt=0).exists() and runs.filter(alerts_resolved__gt=0).exists()


def _outcomes(client) -> dict:
    client.force_login(User.objects.get(username="manager"))
    response = client.get("/api/v1/dashboards/outcomes/")
    assert response.status_code == 200
    return response.json()["cohorts"]


def test_covered_negotiation_accounts_win_more_often_in_the_demo(demo, client):
    negotiation = _outcomes(client)["negotiation"]["overall"]
    met, not_met = negotiation["met"], negotiation["not_met"]
    assert met["accounts"] >= MIN_SIDE and not_met["accounts"] >= MIN_SIDE
    assert met["rate"] > not_met["rate"] + 0.15


def test_tier_a_leads_convert_more_often_than_tier_c_in_the_demo(demo, client):
    by_tier = _outcomes(client)["leads"]["by_tier"]

    def converted(tier):
        side = [by_tier[tier]["met"], by_tier[tier]["not_met"]]
        return sum(s["hits"] for s in side) / sum(s["accounts"] for s in side), sum(s["accounts"] for s in side)

    (rate_a, leads_a), (rate_c, leads_c) = converted("A"), converted("C")
    assert leads_a >= 10 and leads_c >= MIN_SIDE  # tier A is the rarest (a sixth of the accounts)
    assert rate_a > rate_c + 0.05


def test_covered_customers_churn_less_often_in_the_demo(demo, client):
    customers = _outcomes(client)["customers"]["overall"]
    assert customers["met"]["accounts"] >= MIN_SIDE and customers["not_met"]["accounts"] >= MIN_SIDE
    assert customers["met"]["rate"] + 0.1 < customers["not_met"]["rate"]


def test_seed_demo_refuses_a_database_whose_nights_ran_after_the_first_night_it_would_run(demo):
    with pytest.raises(CommandError, match="night ran"):
        call_command("seed_demo", "--accounts", "5")


def test_seed_demo_refuses_a_negative_history():
    with pytest.raises(CommandError, match="--history-days"):
        call_command("seed_demo", "--accounts", "5", "--history-days", "-1")


def test_seed_demo_creates_every_role_and_populates_many_states(demo):
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert User.objects.get(username="sales1").check_password("demo-pass-2026")
    recompute_all(as_of=business_today())  # `make demo` runs today's night again: nothing breaks
    states = set(Account.objects.values_list("state", flat=True))
    assert {"ONBOARDING", "ACTIVE", "NEGOTIATION", "CHURNED", "HOT_LEAD", "LEAD", "TARGET_NO_LEAD"} <= states


# --- the demo's handoffs (core.demo_handoffs) -------------------------------------------------------------------------

RECEIVING_ROLES = {Role.INSIDE_SALES, Role.SALES, Role.CSM, Role.MARKETING}


def test_seed_demo_leaves_pending_handoffs_for_every_receiving_role_some_fresh_some_breached_and_escalated(demo):
    pending = Handoff.objects.filter(status=Handoff.Status.PENDING)
    assert set(pending.values_list("to_role", flat=True)) == RECEIVING_ROLES
    now = timezone.now()
    assert pending.filter(due_at__gt=now).exists() or pending.filter(created_on=business_today()).exists()
    breached = pending.filter(due_at__lt=now)
    assert breached.filter(sla_breached=True).exists()
    escalated = pending.filter(escalated=True)
    assert escalated.exists() and all(h.escalate_at < now for h in escalated)
    open_escalations = HandoffAlert.objects.filter(kind=HandoffAlert.Kind.ESCALATION, status=HandoffAlert.Status.OPEN)
    assert set(open_escalations.values_list("handoff_id", flat=True)) == set(escalated.values_list("id", flat=True))
    assert set(open_escalations.values_list("recipient__role", flat=True)) == {Role.MANAGER}
    # Made by the nights over the last six months, never on one day only.
    created = Handoff.objects.values_list("created_on", flat=True)
    assert min(created) < business_today() - dt.timedelta(days=150) and len(set(created)) > 30
    # The demo logins name the receivers who have some waiting.
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    waiting = [line.split()[0] for line in out.getvalue().splitlines() if "pending handoff" in line]
    assert waiting and set(User.objects.filter(username__in=waiting).values_list("role", flat=True)) <= RECEIVING_ROLES


def test_seed_demo_decides_handoffs_through_the_services_in_the_past(demo):
    accepted = Handoff.objects.filter(status=Handoff.Status.ACCEPTED).select_related("account")
    rejected = Handoff.objects.filter(status=Handoff.Status.REJECTED)
    assert accepted.exists() and rejected.exists()
    assert {h.model for h in accepted} == {"baton", "three_legged"}
    now = timezone.now()
    for handoff in [*accepted, *rejected]:
        start = dt.datetime.combine(handoff.created_on, dt.time(0), tzinfo=TOKYO)
        assert start < handoff.decided_at < now and handoff.decision_business_hours > 0
    # Accepting moved ownership: on accounts whose latest handoff was accepted, the decider owns the to_role, the
    # lead role is to_role, and a three-legged handoff left the sender's side as supporting owner.
    for handoff in accepted:
        account = handoff.account
        if account.handoffs.order_by("-created_on", "-id").first() != handoff:
            continue
        assert getattr(account, f"owner_{handoff.to_role}_id") == handoff.decided_by_id
        assert account.lead_role == handoff.to_role
        assert (account.supporting_owner_id is not None) == (handoff.model == "three_legged")
    # Rejecting returned the handoff to its sender with the reason and comment, several reasons in all.
    assert len(set(rejected.values_list("reason", flat=True))) >= 3
    returned = HandoffAlert.objects.filter(kind=HandoffAlert.Kind.RETURNED)
    assert returned.count() == rejected.count()
    assert all(a.reason == a.handoff.reason and a.comment == a.handoff.comment != "" for a in returned)
    assert returned.filter(status=HandoffAlert.Status.RESOLVED).exists()
    assert AuditEntry.objects.filter(action="handoff.accepted").count() == accepted.count()


def test_seed_demo_feedback_figures_say_better_fitting_accounts_are_accepted_more_often(demo):
    today = business_today()
    figures = handoff_feedback(start=today - dt.timedelta(days=91), end=today)
    by_tier = {row["key"]: row for row in figures["by_icp_tier"]}
    assert by_tier["C"]["decided"] >= 10
    best = by_tier["A"] if by_tier.get("A", {}).get("decided") else by_tier["B"]
    assert best["acceptance_rate"] > by_tier["C"]["acceptance_rate"] + 0.2
    reasons = by_tier["C"]["rejection_reasons"]
    assert max(reasons, key=reasons.get) == "not_icp"
    assert figures["overall"]["breached"] > 0
    # The handoffs keep where their leads came from (the leads behind recent deals included).
    assert len([row for row in figures["by_lead_source"] if row["key"] and row["handoffs"] >= 3]) >= 3


def test_the_story_reads_the_accounts_owners_without_a_query_per_account(django_assert_num_queries):
    """Owners come with the accounts seed_accounts returns (measured: 2,477 queries for 1,000 accounts without)."""
    import random

    from core.demo_history import DemoStory, account_tiers
    from core.management.commands.seed_demo import seed_accounts, seed_users
    from core.models import BusinessSettings

    by_role: dict[str, list[User]] = {}
    for user in seed_users().values():
        by_role.setdefault(user.role, []).append(user)
    accounts = seed_accounts(n_accounts=200, rng=random.Random(1), by_role=by_role)
    story = DemoStory(today=business_today(), zone=BusinessSettings.load().zone, rng=random.Random(2),
                      by_role=by_role, tiers=account_tiers(accounts))
    with django_assert_num_queries(0):
        for account in accounts:
            story.add_account(account)
    assert story.touches and {t.performer_id for t in story.touches} <= {u.id for us in by_role.values() for u in us}
