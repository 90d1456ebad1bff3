"""Deciding a handoff (docs/rules.md §8): accept moves ownership by the rule's model, reject returns it to the sender
with a returned alert; each decision once, by the receiver or a manager."""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from core.choices import Role
from core.models import AuditEntry
from handoffs.models import Handoff, HandoffAlert
from handoffs.services import handoff_accept, handoff_alert_acknowledge, handoff_reject
from tests.factories import AccountFactory
from tests.handoffs.helpers import make_handoff, person

pytestmark = pytest.mark.django_db


def test_three_legged_accept_makes_the_receiver_lead_and_the_sender_support_until_the_next_accept():
    sales1, csm2, sales2 = person("sales1", Role.SALES), person("csm2", Role.CSM), person("sales2", Role.SALES)
    account = AccountFactory(owner_sales=sales1)
    onboarding = make_handoff(rule=3, account=account)  # sales → csm, three-legged, unassigned: any CSM may take it
    handoff_accept(handoff_id=onboarding.id, actor=csm2)
    account.refresh_from_db()
    assert (account.owner_csm, account.lead_role, account.supporting_owner, account.owner_sales) == (
        csm2, "csm", sales1, sales1)
    onboarding.refresh_from_db()
    assert (onboarding.status, onboarding.decided_by, onboarding.decided_at is not None) == ("accepted", csm2, True)
    active = make_handoff(rule=4, account=account, assignee=sales2)  # csm → sales, three-legged
    handoff_accept(handoff_id=active.id, actor=sales2)
    account.refresh_from_db()
    assert (account.owner_sales, account.lead_role, account.supporting_owner, account.owner_csm) == (
        sales2, "sales", csm2, csm2)


def test_baton_accept_passes_ownership_and_leaves_no_supporting_owner():
    inside, sales2, old_support = person("ines1", Role.INSIDE_SALES), person("sales2", Role.SALES), person("x", Role.CSM)
    account = AccountFactory(owner_inside_sales=inside, supporting_owner=old_support, lead_role="csm")
    handoff = make_handoff(rule=2, account=account, assignee=sales2)
    handoff_accept(handoff_id=handoff.id, actor=sales2)
    account.refresh_from_db()
    assert (account.owner_sales, account.lead_role, account.supporting_owner, account.owner_inside_sales) == (
        sales2, "sales", None, inside)
    entry = AuditEntry.objects.get(action="handoff.accepted", object_id=str(handoff.id))
    assert entry.actor == sales2
    assert entry.after["account"] == {"owner_sales": "sales2", "lead_role": "sales", "supporting_owner": None}
    assert entry.before["account"]["supporting_owner"] == "x"


def test_a_manager_may_accept_and_becomes_the_owner():
    manager, sales2 = person("boss", Role.MANAGER), person("sales2", Role.SALES)
    handoff = make_handoff(rule=2, assignee=sales2)
    handoff_accept(handoff_id=handoff.id, actor=manager)
    handoff.account.refresh_from_db()
    assert handoff.account.owner_sales == manager


def test_a_handoff_is_decided_once():
    sales2 = person("sales2", Role.SALES)
    handoff = make_handoff(rule=2, assignee=sales2)
    handoff_accept(handoff_id=handoff.id, actor=sales2)
    with pytest.raises(ValidationError):
        handoff_accept(handoff_id=handoff.id, actor=sales2)
    with pytest.raises(ValidationError):
        handoff_reject(handoff_id=handoff.id, actor=sales2, reason="no_budget")
    assert HandoffAlert.objects.count() == 0
    assert AuditEntry.objects.filter(object_type="handoff").count() == 1


def test_a_superseded_handoff_cannot_be_accepted_and_nothing_moves():
    sales2 = person("sales2", Role.SALES)
    handoff = make_handoff(rule=2, assignee=sales2, status=Handoff.Status.SUPERSEDED)
    with pytest.raises(ValidationError):
        handoff_accept(handoff_id=handoff.id, actor=sales2)
    handoff.account.refresh_from_db()
    assert (handoff.account.owner_sales, handoff.account.lead_role) == (None, "")


def test_only_the_receiver_or_a_manager_may_decide():
    sales2, sales3 = person("sales2", Role.SALES), person("sales3", Role.SALES)
    csm = person("csm9", Role.CSM)
    assigned = make_handoff(rule=2, assignee=sales2)
    with pytest.raises(Http404):  # another receiver of the same role: as if it did not exist
        handoff_accept(handoff_id=assigned.id, actor=sales3)
    unassigned = make_handoff(rule=2)
    with pytest.raises(Http404):  # not of to_role
        handoff_reject(handoff_id=unassigned.id, actor=csm, reason="other")
    with pytest.raises(Http404):
        handoff_accept(handoff_id=999999, actor=sales2)
    handoff_accept(handoff_id=unassigned.id, actor=sales3)  # unassigned: anyone of to_role
    assert Handoff.objects.get(id=assigned.id).status == "pending"


@pytest.mark.parametrize("reason", list(Handoff.RejectReason.values))
def test_a_rejection_returns_the_handoff_to_the_sender_with_its_reason_and_comment(reason):
    inside, sales2 = person("ines1", Role.INSIDE_SALES), person("sales2", Role.SALES)
    account = AccountFactory(owner_inside_sales=inside, owner_sales=None)
    handoff = make_handoff(rule=2, account=account, assignee=sales2)
    handoff_reject(handoff_id=handoff.id, actor=sales2, reason=reason, comment="FY budget frozen")
    handoff.refresh_from_db()
    assert (handoff.status, handoff.reason, handoff.comment, handoff.decided_by) == (
        "rejected", reason, "FY budget frozen", sales2)
    account.refresh_from_db()
    assert (account.owner_inside_sales, account.owner_sales, account.lead_role, account.supporting_owner) == (
        inside, None, "", None)
    alert = HandoffAlert.objects.get()
    assert (alert.kind, alert.recipient, alert.recipient_role, alert.status, alert.reason, alert.comment) == (
        "returned", inside, "inside_sales", "open", reason, "FY budget frozen")


def test_an_unknown_reason_is_refused_naming_the_field():
    sales2 = person("sales2", Role.SALES)
    handoff = make_handoff(rule=2, assignee=sales2)
    with pytest.raises(ValidationError) as refused:
        handoff_reject(handoff_id=handoff.id, actor=sales2, reason="not_ready")  # the old code, migrated away
    assert "reason" in refused.value.message_dict
    assert Handoff.objects.get(id=handoff.id).status == "pending"


def test_a_rejection_without_a_sender_goes_to_the_from_role_queue():
    sales2 = person("sales2", Role.SALES)
    handoff = make_handoff(rule=2, assignee=sales2)  # the account has no inside_sales owner
    handoff_reject(handoff_id=handoff.id, actor=sales2, reason="wrong_owner")
    alert = HandoffAlert.objects.get()
    assert (alert.recipient, alert.recipient_role) == (None, "inside_sales")
    # Anyone of the queue's role may acknowledge it; others get 404.
    with pytest.raises(Http404):
        handoff_alert_acknowledge(alert_id=alert.id, actor=person("csm9", Role.CSM))
    handoff_alert_acknowledge(alert_id=alert.id, actor=person("ines2", Role.INSIDE_SALES))
    assert HandoffAlert.objects.get().status == "resolved"


def test_a_returned_alert_resolves_when_acknowledged_by_its_recipient():
    inside, sales2 = person("ines1", Role.INSIDE_SALES), person("sales2", Role.SALES)
    handoff = make_handoff(rule=2, account=AccountFactory(owner_inside_sales=inside), assignee=sales2)
    handoff_reject(handoff_id=handoff.id, actor=sales2, reason="no_budget", comment="FY budget frozen")
    alert = HandoffAlert.objects.get()
    with pytest.raises(Http404):
        handoff_alert_acknowledge(alert_id=alert.id, actor=sales2)  # not addressed to the receiver
    handoff_alert_acknowledge(alert_id=alert.id, actor=inside)
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_at is not None, alert.resolved_at is not None) == ("resolved", True, True)
    with pytest.raises(ValidationError):
        handoff_alert_acknowledge(alert_id=alert.id, actor=inside)
    assert AuditEntry.objects.filter(action="handoff_alert.acknowledge").count() == 1


def test_deciding_resolves_the_handoffs_sla_alerts():
    sales2 = person("sales2", Role.SALES)
    handoff = make_handoff(rule=2, assignee=sales2)
    HandoffAlert.objects.create(handoff=handoff, kind="sla", recipient=sales2, recipient_role="sales",
                                opened_at=handoff.due_at)
    handoff_accept(handoff_id=handoff.id, actor=sales2)
    assert HandoffAlert.objects.get().status == "resolved"


def test_the_services_also_take_the_handoff_itself():
    sales2 = person("sales2", Role.SALES)
    first, second = make_handoff(rule=2, assignee=sales2), make_handoff(rule=2, assignee=sales2)
    assert handoff_accept(handoff=first, actor=sales2).status == "accepted"
    assert handoff_reject(handoff=second, actor=sales2, reason="other", comment="x").status == "rejected"
