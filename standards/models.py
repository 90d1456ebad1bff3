from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.choices import Channel, ContentStage, Role, State, TouchKind
from core.validators import ChoiceListValidator, bounded, range_condition

# A requirement's window: at least a day (docs/rules.md §4 counts within [D−p+1, D]); at most ten years, far beyond
# any contact rhythm and well inside the calendar the nightly date arithmetic (D − p, due_on = touch + p) can reach.
WINDOW_DAYS = (1, 3650)
# Touches a requirement asks for within its window: at least one; at most a thousand, more than anyone can log.
MIN_COUNT = (1, 1000)


class Standard(models.Model):
    """The coverage standard of one state (docs/rules.md §4)."""

    state = models.CharField(max_length=20, choices=State.choices, unique=True)
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    owner_role = models.CharField(_("owner role"), max_length=20, choices=Role.choices, blank=True)
    # The content plan (docs/rules.md §4): the content stages this state's accounts should receive and the channels
    # recommended for them. It guides reps; it does not change what counts.
    content_stages = models.JSONField(_("content stages"), default=list, blank=True,
                                      validators=[ChoiceListValidator(ContentStage.values)])
    channels = models.JSONField(_("recommended channels"), default=list, blank=True,
                                validators=[ChoiceListValidator(Channel.values)])
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.state


class Requirement(models.Model):
    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="requirements")
    code = models.SlugField(_("code"), max_length=40)
    kind = models.CharField(_("kind"), max_length=10, choices=TouchKind.choices)
    min_count = models.PositiveIntegerField(_("minimum touches"), validators=bounded(*MIN_COUNT))
    window_days = models.PositiveIntegerField(_("window (days)"), validators=bounded(*WINDOW_DAYS))
    responsible_role = models.CharField(_("responsible role"), max_length=20, choices=Role.choices)
    # Empty: touches by any role count.
    performer_roles = models.JSONField(_("performer roles"), default=list, blank=True,
                                       validators=[ChoiceListValidator(Role.values)])
    # The requirement's content plan: the stage and channel a touch for it is expected to carry. Today's touch form
    # preselects them; counting ignores them (docs/rules.md §4).
    content_stage = models.CharField(_("content stage"), max_length=20, choices=ContentStage.choices, blank=True)
    channel = models.CharField(_("channel"), max_length=30, choices=Channel.choices, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["standard_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["standard", "code"], name="requirement_code_unique_in_standard",
                violation_error_message=_("A requirement with this code already exists in this standard."),
            ),
            models.CheckConstraint(
                condition=range_condition("min_count", *MIN_COUNT), name="requirement_min_count_range",
                violation_error_message=format_lazy(_("Minimum touches must be between {0} and {1}."), *MIN_COUNT),
            ),
            models.CheckConstraint(
                condition=range_condition("window_days", *WINDOW_DAYS), name="requirement_window_days_range",
                violation_error_message=format_lazy(_("The window must be between {0} and {1} days."), *WINDOW_DAYS),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.standard.state}/{self.code}"


class StandardChange(models.Model):
    """Version history of the standards: who, when, before and after."""

    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="changes")
    version = models.PositiveIntegerField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    changed_at = models.DateTimeField(auto_now_add=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField()
    comment = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
