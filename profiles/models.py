from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IcpProfile(models.Model):
    """An Ideal Customer Profile; its criteria live in versions, the latest being current."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    current_version = models.ForeignKey(
        "IcpProfileVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IcpProfileVersion(models.Model):
    profile = models.ForeignKey(IcpProfile, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    description = models.TextField(blank=True)
    tiers = models.JSONField(default=dict)  # {"A": 80, "B": 50}
    criteria = models.JSONField(default=list)  # [{"attribute", "op", "value", "weight"}]
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    comment = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["profile_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["profile", "number"], name="profile_version_number_unique")]

    def __str__(self) -> str:
        return f"{self.profile.name} v{self.number}"


class BackgroundRun(models.Model):
    """A job run outside the request, recorded so its page can show who asked, why, and how far it is."""

    reason = models.CharField(max_length=40)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def in_progress(self) -> bool:
        return self.status in ("pending", "running")


class RescoreRun(BackgroundRun):
    """One background rescoring of every account after a profile change, with its progress for the page."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        SUPERSEDED = "superseded", _("Superseded by a later run")

    profile = models.ForeignKey(IcpProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="rescore_runs")
    # reason: save, import, activate, deactivate
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    rows_total = models.IntegerField(default=0)
    rows_done = models.IntegerField(default=0)

    class Meta(BackgroundRun.Meta):
        pass

    def __str__(self) -> str:
        return f"rescore #{self.pk} ({self.status})"


class ProfileAnalysis(models.Model):
    """A precomputed ICP analysis: the aggregated figures of one page, computed set-based in a background job
    (after rescoring, after the nightly recompute, or on demand), so the pages never scan the accounts.

    ``review`` is per profile version; ``learn`` (raw counts per value and best-customer group), ``breadth``
    and ``tiers`` (stored accounts per profile and tier) are global and have no version.
    """

    class Kind(models.TextChoices):
        REVIEW = "review", _("Review")
        LEARN = "learn", _("Learn from the best customers")
        BREADTH = "breadth", _("Breadth of A/B targets")
        TIERS = "tiers", _("Accounts per tier")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    version = models.ForeignKey(IcpProfileVersion, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="analyses")
    as_of = models.DateField()  # the business date the figures describe (latest nightly run)
    computed_at = models.DateTimeField()
    seconds = models.FloatField(default=0)  # how long the computation took, for the operators
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [
            # The page reads one row by (kind, version): one snapshot per version and kind, one per global kind.
            models.UniqueConstraint(fields=["kind", "version"], condition=models.Q(version__isnull=False),
                                    name="profile_analysis_kind_version_unique"),
            models.UniqueConstraint(fields=["kind"], condition=models.Q(version__isnull=True),
                                    name="profile_analysis_global_kind_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.version_id or ''} ({self.computed_at:%Y-%m-%d %H:%M})"


class AnalysisRefresh(BackgroundRun):
    """One background refresh of the analysis snapshots, with its progress for the pages' "computing…" state."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    # reason: button, rescore, nightly, draft
    version = models.ForeignKey(IcpProfileVersion, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")  # an older version to review as well (the button on its page)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    steps_total = models.IntegerField(default=0)
    steps_done = models.IntegerField(default=0)

    class Meta(BackgroundRun.Meta):
        indexes = [
            # The pages ask "is a refresh pending or running?": the newest runs first.
            models.Index(fields=["status", "-id"], name="analysis_refresh_status_idx"),
        ]

    def __str__(self) -> str:
        return f"analysis refresh #{self.pk} ({self.status})"
