from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.choices import Role, State
from core.validators import ChoiceListValidator, bounded, range_condition

# A handoff's SLA in business hours: at least one; at most 2,000 (about 222 nine-hour business days, under a year).
# Even with one working hour a day, the escalation at twice the SLA (4,000 business days, about 16 years) falls
# within the 20 years of calendar that handoffs.calendar.sla_due_at searches, so the night always finds a due time.
SLA_BUSINESS_HOURS = (1, 2000)


class HandoffModel(models.TextChoices):
    BATON = "baton", _("Baton relay")
    THREE_LEGGED = "three_legged", _("Three-legged (receiver leads, sender supports)")


class HandoffRule(models.Model):
    """When an account enters `to_state` from one of `from_states`, ownership moves (docs/rules.md §8)."""

    order = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=100, blank=True)
    to_state = models.CharField(max_length=20, choices=State.choices)
    from_states = models.JSONField(default=list, blank=True, validators=[ChoiceListValidator(State.values)])  # empty: any
    from_role = models.CharField(max_length=20, choices=Role.choices)
    to_role = models.CharField(max_length=20, choices=Role.choices)
    model = models.CharField(max_length=20, choices=HandoffModel.choices, default=HandoffModel.BATON)
    sla_business_hours = models.PositiveIntegerField(default=24, validators=bounded(*SLA_BUSINESS_HOURS))
    active = models.BooleanField(default=True)
    # Raised by one on every save (handoffs.services, compare-and-set; docs/api.md §5).
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=range_condition("sla_business_hours", *SLA_BUSINESS_HOURS),
                name="handoff_rule_sla_hours_range",
                violation_error_message=format_lazy(_("The SLA must be between {0} and {1} business hours."),
                                                    *SLA_BUSINESS_HOURS),
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"→{self.to_state}"

    def clean(self) -> None:
        """What no rule may say, however it arrives (page, API, admin): a transition never goes from a state to
        itself, and a handoff goes from one role to another."""
        errors = {}
        if self.to_state and self.to_state in (self.from_states or []):
            errors["from_states"] = _("A transition never goes from a state to itself: untick %(state)s.") % {
                "state": State(self.to_state).label}
        if self.from_role and self.from_role == self.to_role:
            errors["to_role"] = _("The receiver's role must differ from the sender's.")
        if errors:
            raise ValidationError(errors)


class Handoff(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        SUPERSEDED = "superseded", _("Superseded")

    class RejectReason(models.TextChoices):
        # docs/rules.md §8, "Deciding a handoff" (the former `not_ready` is `bad_timing`: migration 0005).
        NOT_ICP = "not_icp", _("Not our ideal customer")
        NO_BUDGET = "no_budget", _("No budget")
        NO_NEED = "no_need", _("No need")
        BAD_TIMING = "bad_timing", _("Bad timing")
        WRONG_CONTACT = "wrong_contact", _("Wrong contact")
        WRONG_OWNER = "wrong_owner", _("Wrong owner")
        BAD_DATA = "bad_data", _("Bad data")
        OTHER = "other", _("Other")

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="handoffs")
    rule = models.ForeignKey(HandoffRule, null=True, on_delete=models.SET_NULL, related_name="handoffs")
    rule_name = models.CharField(max_length=100, blank=True)
    from_state = models.CharField(max_length=20, choices=State.choices)
    to_state = models.CharField(max_length=20, choices=State.choices)
    from_role = models.CharField(max_length=20, choices=Role.choices)
    to_role = models.CharField(max_length=20, choices=Role.choices)
    model = models.CharField(max_length=20, choices=HandoffModel.choices)
    created_on = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="handoffs")
    due_at = models.DateTimeField()
    reason = models.CharField(max_length=20, choices=RejectReason.choices, blank=True)
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sla_breached = models.BooleanField(default=False)
    # The SLA the rule gave and the time past which the handoff escalates: twice the SLA in business hours from the
    # same start (docs/rules.md §8). Empty on handoffs made before they were kept: the SLA sweep fills them in.
    sla_business_hours = models.PositiveIntegerField(null=True, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True)
    escalated = models.BooleanField(default=False, db_default=False)
    # What the feedback figures group by, as it was when the night made the handoff (docs/rules.md §8): the
    # sender (the account's owner for from_role), the account's ICP fit, profile and tier, and the lead source.
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    icp_fit = models.PositiveSmallIntegerField(null=True, blank=True)
    icp_profile = models.ForeignKey("profiles.IcpProfile", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    icp_profile_name = models.CharField(max_length=200, blank=True, db_default="")  # kept when the profile is deleted
    icp_tier = models.CharField(max_length=1, blank=True, db_default="")
    lead_source = models.CharField(max_length=100, blank=True, db_default="")
    # Business hours from the handoff's start (created_on 00:00 business time, as due_at) to its decision, kept when
    # it is accepted or rejected so the feedback figures take their medians in SQL (docs/rules.md §8); empty while
    # undecided (migration 0006 filled the handoffs decided before).
    decision_business_hours = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_on", "-id"]
        indexes = [
            # Receiver's inbox and the SLA sweep: pending handoffs by due time.
            models.Index(fields=["status", "due_at"], name="handoff_status_due_idx"),
            # The inbox's "Mine" (handoffs.inbox): a person's pending handoffs by due time, in keyset order — without
            # it a person with few pending handoffs scanned every pending one.
            models.Index(fields=["assignee", "status", "due_at", "id"], name="handoff_assignee_due_idx"),
            # The SLA sweep's escalation step: pending handoffs not escalated yet, by escalation time.
            # A role's queue (Today's "Handoffs for you", the inbox's unassigned tab): pending, unassigned, by due time.
            models.Index(fields=["to_role", "due_at", "id"], name="handoff_queue_due_idx",
                         condition=models.Q(status="pending", assignee__isnull=True)),
            models.Index(fields=["status", "escalate_at"], name="handoff_status_escalate_idx",
                         condition=models.Q(escalated=False)),
            # The feedback figures: handoffs created in a period (handoffs.selectors.handoff_feedback).
            models.Index(fields=["created_on"], name="handoff_created_on_idx"),
            # The cached feedback figures' change stamp: the latest decision (handoffs.selectors._cached_figures).
            models.Index(fields=["decided_at"], name="handoff_decided_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_name or self.to_state} #{self.pk}"


class HandoffAlert(models.Model):
    """A returned, SLA or escalation alert about a handoff (docs/rules.md §8). Not a coverage alert (§5): not counted
    in the coverage figures (§9), not exported by export_alerts.

    To a person (`recipient`) or, when the handoff had nobody to address it to, to a role's queue (`recipient_role`
    with no recipient). A returned alert resolves when acknowledged or when a newer handoff of the account is
    created; an SLA or escalation alert when its handoff is no longer pending (acknowledging it only marks it seen).
    """

    class Kind(models.TextChoices):
        RETURNED = "returned", _("Handoff returned")
        SLA = "sla", _("Handoff SLA breached")
        ESCALATION = "escalation", _("Handoff escalated")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESOLVED = "resolved", _("Resolved")

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="handoff_alerts")
    recipient_role = models.CharField(max_length=20, choices=Role.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # A returned alert's rejection reason code and comment; empty for the others.
    reason = models.CharField(max_length=20, choices=Handoff.RejectReason.choices, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            # A person's open handoff alerts, newest first.
            models.Index(fields=["recipient", "status", "opened_at"], name="handoff_alert_recipient_idx"),
            # A role's queue of open handoff alerts (no recipient).
            models.Index(fields=["recipient_role", "status"], name="handoff_alert_queue_idx",
                         condition=models.Q(recipient__isnull=True)),
        ]
        constraints = [
            # A handoff raises each kind of alert once per recipient, whatever its status since: a sweep run again
            # (or two at once) cannot raise it twice.
            models.UniqueConstraint(fields=["handoff", "kind", "recipient"], name="handoff_alert_once_per_recipient",
                                    condition=models.Q(recipient__isnull=False)),
            models.UniqueConstraint(fields=["handoff", "kind"], name="handoff_alert_once_per_queue",
                                    condition=models.Q(recipient__isnull=True)),
            models.CheckConstraint(
                condition=models.Q(status="resolved", resolved_at__isnull=False)
                | (~models.Q(status="resolved") & models.Q(resolved_at__isnull=True)),
                name="handoff_alert_resolved_at_iff_resolved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} alert on handoff {self.handoff_id}"
