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
