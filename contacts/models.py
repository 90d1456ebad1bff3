from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.choices import Channel, ContentStage, Role, TouchKind, TouchSource


class ContactPerson(models.Model):
    """A person at an account (担当者)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    department = models.CharField(_("department"), max_length=200, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Touch(models.Model):
    """One contact with an account (接触). `occurred_on` is the date in the business time zone."""

    external_id = models.CharField(_("external ID"), max_length=100, null=True, blank=True)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="touches")
    occurred_at = models.DateTimeField(_("occurred at"))
    # Derived from occurred_at in the business time zone when the touch is stored;
    # re-derived by core.services when the business time zone setting changes.
    occurred_on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=TouchKind.choices)
    channel = models.CharField(_("channel"), max_length=30, choices=Channel.choices, blank=True)
    content_stage = models.CharField(_("content stage"), max_length=20, choices=ContentStage.choices, blank=True)
    performer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="touches"
    )
    # Who submitted the touch, when not the performer's own doing is the question (docs/permissions.md, touches):
    # the signed-in user of the page or API, the importing user of an import (null when none, source tells).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="touches_recorded",
        verbose_name=_("recorded by"),
    )
    # The performer's role when the touch was recorded: later role changes do not rewrite history.
    performer_role = models.CharField(_("performer role"), max_length=20, choices=Role.choices)
    source = models.CharField(_("source"), max_length=10, choices=TouchSource.choices, default=TouchSource.MANUAL)
    note = models.TextField(_("note"), blank=True)
    # For touches without external_id: sha1 of (account, instant, kind, channel, performer).
    natural_key = models.CharField(max_length=40, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=models.Q(external_id__isnull=False), name="touch_external_id_unique",
                violation_error_message=_("A touch with this external ID already exists."),
            ),
            models.UniqueConstraint(
                fields=["natural_key"], condition=models.Q(natural_key__isnull=False), name="touch_natural_key_unique",
                violation_error_message=_("This touch is already recorded."),
            ),
            # A channel is one of the choices or empty, however the touch arrives (page, API, CSV).
            models.CheckConstraint(
                condition=models.Q(channel__in=["", *Channel.values]), name="touch_channel_in_choices",
                violation_error_message=_("Unknown channel."),
            ),
        ]
        indexes = [
            # Nightly counting: touches of a chunk of accounts up to D, newest first; also the account timeline.
            # The performer's role rides along (PostgreSQL INCLUDE), so the nightly counts and dates are read from
            # the index alone, without visiting a table page per touch.
            models.Index(fields=["account", "occurred_on", "kind"], include=["performer_role"],
                         name="touch_nightly_counting_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.occurred_on}"
