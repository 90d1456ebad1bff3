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


class RescoreRun(models.Model):
    """One background rescoring of every account after a profile change, with its progress for the page."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        SUPERSEDED = "superseded", _("Superseded by a later run")

    profile = models.ForeignKey(IcpProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="rescore_runs")
    reason = models.CharField(max_length=40)  # save, import, activate, deactivate
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.IntegerField(default=0)
    rows_done = models.IntegerField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"rescore #{self.pk} ({self.status})"

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)
