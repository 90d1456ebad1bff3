from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from .choices import Language, Role


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.SALES)
    team = models.CharField(_("team"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.JA)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_manager_or_admin(self) -> bool:
        return self.role in (Role.MANAGER, Role.ADMIN)


class BusinessSettings(models.Model):
    """Organisation-wide settings read by the engine (docs/rules.md §1, §8). One row."""

    time_zone = models.CharField(_("business time zone"), max_length=64, default="Asia/Tokyo")
    workday_start = models.TimeField(_("business day starts"), default=dt.time(9, 0))
    workday_end = models.TimeField(_("business day ends"), default=dt.time(18, 0))
    # ISO weekday numbers (Mon=1 … Sun=7) that are working days.
    working_weekdays = models.JSONField(_("working weekdays"), default=list)
    japanese_holidays_off = models.BooleanField(_("Japanese public holidays are off"), default=True)
    # Raised by one on every save, compare-and-set against the version the editor read (save(); docs/api.md §5).
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("business settings")
        verbose_name_plural = _("business settings")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="business_settings_singleton")]

    def save(self, *args, **kwargs):
        """Compare-and-set: a row read at version N saves only while the stored row is still at N, and makes N + 1
        (core.versioning.StaleVersion otherwise: an editor read it before someone else's save; docs/api.md §5)."""
        from .versioning import check_version  # core.versioning reads AuditEntry from this module

        self.id = 1
        if not self.working_weekdays:
            self.working_weekdays = [1, 2, 3, 4, 5]
        with transaction.atomic():
            current = (type(self).objects.select_for_update().filter(pk=1)
                       .values_list("version", flat=True).first())
            if current is not None:
                if not self._state.adding:  # a new instance replaces the row as a whole: nothing was read
                    check_version(current=current, expected=self.version, label=str(_("Business settings")),
                                  object_type="business_settings", object_id="1")
                self.version = current + 1
            super().save(*args, **kwargs)

    def clean(self) -> None:
        """The business day opens before it closes, and at least one weekday is worked (docs/rules.md §8)."""
        errors = {}
        if self.workday_start and self.workday_end and self.workday_start >= self.workday_end:
            errors["workday_end"] = _("The business day must end after it starts.")
        days = self.working_weekdays
        if not isinstance(days, list) or not days:
            errors["working_weekdays"] = _("Choose at least one working weekday.")
        elif any(not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= 7 for d in days):
            errors["working_weekdays"] = _("Working weekdays are numbers from 1 (Monday) to 7 (Sunday).")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def load(cls) -> BusinessSettings:
        obj, _created = cls.objects.get_or_create(id=1, defaults={"working_weekdays": [1, 2, 3, 4, 5]})
        return obj

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class ClosedDay(models.Model):
    """A day the business is closed besides the weekly days off and the Japanese public holidays — a company
    holiday, a year-end closing. The business calendar treats it as off (handoffs.calendar; docs/rules.md §8)."""

    # The calendar these days belong to (the one business settings row): BusinessCalendar.load reads the settings
    # and their closed days in one query, through this join.
    calendar = models.ForeignKey(BusinessSettings, on_delete=models.CASCADE, default=1, editable=False,
                                 related_name="closed_days")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="closed_day_once_per_date",
                                    violation_error_message=_("This day is already a closed day.")),
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}"


class AuditEntry(models.Model):
    """Who changed what, when: one row per write made through a service."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=100, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"


class ImportRun(models.Model):
    """One import of a CSV file, whoever started it (command, page or API)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        VALIDATED = "validated", _("Validated (dry run)")

    kind = models.CharField(max_length=20)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.BigIntegerField(default=0)
    encoding = models.CharField(max_length=20, blank=True)
    options = models.JSONField(default=dict, blank=True)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.IntegerField(default=0)
    rows_done = models.IntegerField(default=0)
    created = models.IntegerField(default=0)
    updated = models.IntegerField(default=0)
    unchanged = models.IntegerField(default=0)
    errors = models.IntegerField(default=0)
    # First errors kept for display: [{"line":…, "column":…, "value":…, "message":…}].
    error_sample = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    stored_file = models.FileField(upload_to="imports/", blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.status})"

    @property
    def summary(self) -> str:
        return f"created={self.created} updated={self.updated} unchanged={self.unchanged} errors={self.errors}"


class ImportMappingPreset(models.Model):
    """A saved header → field mapping for a recurring file (e.g. the monthly MA export)."""

    kind = models.CharField(max_length=20)
    name = models.CharField(max_length=100)
    mapping = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="mapping_preset_unique_name_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.name}"
