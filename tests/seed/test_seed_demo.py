import datetime as dt
import io
import zoneinfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Account
from core.choices import Role
from core.models import AuditEntry, User
from core.timeutil import business_today
from engine.services import recompute_all
from handoffs.models import Handoff, HandoffAlert
from handoffs.selectors import handoff_feedback

pytestmark = pytest.mark.django_db
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def test_seed_demo_creates_every_role_and_populates_many_states(demo):
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert User.objects.get(username="sales1").check_password("demo-pass-2026")
    recompute_all(as_of=business_today())  # `make demo` runs today's night again: nothing breaks
    states = set(Account.objects.values_list("state", flat=True))
    assert {"ONBOARDING", "ACTIVE", "NEGOTIATION", "CHURNED", "HOT_LEAD", "LEAD", "TARGET_NO_LEAD"} <= states


def test_demo_logins_name_the_port_the_console_is_served_on():
    out = io.StringIO()
    call_command("demo_logins", "--port", "8001", stdout=out)
    assert "http://127.0.0.1:8001/login/" in out.getvalue()
    assert "demo-pass-2026" in out.getvalue()


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
