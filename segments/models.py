from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.choices import State
from core.validators import bounded, range_condition

# The state rules' thresholds (docs/rules.md §2, §3), each within a range the nightly run can use:
# day counts 1–3,650 (a day to ten years: D − N stays a valid date, and a longer span has no business meaning);
# a count of won deals 1–1,000 (zero would make every active customer loyal at once);
# a lead score or an ICP fit 0–100 (the scale both are on: 0 lets every open lead qualify, above 100 none could).
DAYS = (1, 3650)
WON_DEALS = (1, 1000)
PERCENT = (0, 100)
THRESHOLD_RANGES: dict[str, tuple[int, int]] = {
    "churn_after_days": DAYS,
    "onboarding_days": DAYS,
    "loyal_min_tenure_days": DAYS,
    "loyal_min_won_deals": WON_DEALS,
    "hot_lead_min_score": PERCENT,
    "high_potential_min_fit": PERCENT,
}


class Segment(models.Model):
    """A customer state as data: code, names in both languages, purpose and order (docs/rules.md §3)."""

    code = models.CharField(max_length=20, primary_key=True, choices=State.choices)
    name_en = models.CharField(max_length=100)
    name_ja = models.CharField(max_length=100)
    purpose_en = models.CharField(max_length=200, blank=True)
    purpose_ja = models.CharField(max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(unique=True)

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.code

    def name_for(self, language: str) -> str:
        return self.name_ja if language == "ja" else self.name_en


class StateThresholds(models.Model):
    """The state rules' thresholds, editable by managers (docs/rules.md §2, §3). One row."""

    churn_after_days = models.PositiveIntegerField(_("customer stays active for (days after last won deal)"), default=365,
                                                   validators=bounded(*DAYS))
    onboarding_days = models.PositiveIntegerField(_("onboarding lasts (days)"), default=183, validators=bounded(*DAYS))
    loyal_min_tenure_days = models.PositiveIntegerField(_("loyal: minimum tenure (days)"), default=730,
                                                        validators=bounded(*DAYS))
    loyal_min_won_deals = models.PositiveIntegerField(_("loyal: minimum won deals"), default=3,
                                                      validators=bounded(*WON_DEALS))
    hot_lead_min_score = models.PositiveSmallIntegerField(_("hot lead: minimum lead score"), default=70,
                                                          validators=bounded(*PERCENT))
    high_potential_min_fit = models.PositiveSmallIntegerField(_("high-potential lead: minimum ICP fit"), default=70,
                                                              validators=bounded(*PERCENT))
    # Raised by one on every save that changes a threshold (segments.services, compare-and-set; docs/api.md §5).
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("state thresholds")
        verbose_name_plural = _("state thresholds")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="state_thresholds_singleton"),
            *(models.CheckConstraint(condition=range_condition(field, low, high), name=f"state_thresholds_{field}_range",
                                     violation_error_message=format_lazy(_("{field} must be between {low} and {high}."),
                                                                         field=field, low=low, high=high))
              for field, (low, high) in THRESHOLD_RANGES.items()),
        ]

    def save(self, *args, **kwargs):
        self.id = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> StateThresholds:
        obj, _created = cls.objects.get_or_create(id=1)
        return obj


class StateTransition(models.Model):
    """A dated change of an account's state, with the rule that fired and the facts it used."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="transitions")
    as_of = models.DateField()
    from_state = models.CharField(max_length=20, choices=State.choices, blank=True)  # empty: initial
    to_state = models.CharField(max_length=20, choices=State.choices)
    rule = models.CharField(max_length=40)
    facts = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-as_of", "-id"]
        indexes = [
            # Account page: an account's state history, newest first.
            models.Index(fields=["account", "-as_of"], name="transition_account_asof_idx"),
            # The rules editor's 90-day figures: transitions since a date per (from, to) state (handoffs.rules_preview).
            models.Index(fields=["as_of", "from_state", "to_state"], name="transition_asof_states_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.from_state or '∅'} → {self.to_state} ({self.as_of})"


class ThresholdPreviewJob(models.Model):
    """A what-if of proposed state thresholds, computed in the background (segments.threshold_preview): who asked,
    the proposal, how far it got, and what the next night would leave with and without it (docs/api.md §5)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Each chunk computed moves it: a running job whose updated_at stops moving was left by a dead worker.
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Every threshold as proposed (segments.services.THRESHOLD_FIELDS), and the thresholds' version it was made on.
    proposal = models.JSONField()
    thresholds_version = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, validators=bounded(*PERCENT))
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One preview at a time per person: a second press shows the running one (segments.threshold_preview).
            models.UniqueConstraint(fields=["requested_by"], condition=models.Q(status__in=["queued", "running"]),
                                    name="threshold_preview_one_active_per_user",
                                    violation_error_message=_("A preview of yours is still running.")),
            models.CheckConstraint(condition=range_condition("progress", *PERCENT), name="threshold_preview_progress_range"),
        ]
        indexes = [
            # The settings page: the person's latest preview.
            models.Index(fields=["requested_by", "-created_at"], name="threshold_preview_user_idx"),
            # The dispatch sweep: queued previews by age (core.dispatch).
            models.Index(fields=["status", "created_at"], name="threshold_preview_status_idx"),
        ]

    def __str__(self) -> str:
        return f"threshold preview #{self.pk} ({self.status})"

    @property
    def in_progress(self) -> bool:
        return self.status in self.ACTIVE
