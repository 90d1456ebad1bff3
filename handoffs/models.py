from __future__ import annotations

from django.conf import settings
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


class Handoff(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        SUPERSEDED = "superseded", _("Superseded")

    class RejectReason(models.TextChoices):
        NOT_READY = "not_ready", _("Not ready")
        WRONG_OWNER = "wrong_owner", _("Wrong owner")
        BAD_DATA = "bad_data", _("Bad data")
        NO_BUDGET = "no_budget", _("No budget")
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

    class Meta:
        ordering = ["-created_on", "-id"]
        indexes = [
            # Receiver's inbox and the SLA sweep: pending handoffs by due time.
            models.Index(fields=["status", "due_at"], name="handoff_status_due_idx"),
        ]
