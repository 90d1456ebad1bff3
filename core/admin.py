from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, BusinessSettings, ClosedDay, ImportMappingPreset, ImportRun, User
from .settings_services import SETTINGS_FIELDS, business_settings_update, closed_day_add, closed_day_remove
from .versioning import StaleVersion, check_version, conflict_message


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "email", "role", "team", "language", "is_active")
    list_filter = ("role", "team", "language", "is_active")
    fieldsets = BaseUserAdmin.fieldsets + (("Coverage Console", {"fields": ("full_name", "role", "team", "language")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (("Coverage Console", {"fields": ("role", "team", "language")}),)


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "kind", "file_name", "status", "created", "updated", "unchanged", "errors", "created_by")
    list_filter = ("kind", "status", "dry_run")
    readonly_fields = [f.name for f in ImportRun._meta.fields]


class BusinessSettingsForm(forms.ModelForm):
    """The admin's business settings form, with the version it was opened at (hidden): a save from a stale form is
    refused with who changed what since (core.versioning; docs/api.md §5)."""

    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = BusinessSettings
        fields = list(SETTINGS_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            self.initial["opened_version"] = self.instance.version

    def clean(self):
        data = super().clean()
        opened = data.get("opened_version")
        if self.instance.pk and opened is not None:
            current = BusinessSettings.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            try:
                check_version(current=current or 0, expected=opened, label=_("Business settings"),
                              object_type="business_settings", object_id="1")
            except StaleVersion as exc:
                raise forms.ValidationError(conflict_message(exc)) from exc
        return data


@admin.register(BusinessSettings)
class BusinessSettingsAdmin(admin.ModelAdmin):
    form = BusinessSettingsForm
    readonly_fields = ("version", "updated_at")

    def save_model(self, request, obj, form, change):
        changes = {f: form.cleaned_data[f] for f in SETTINGS_FIELDS if f in form.cleaned_data}
        saved = business_settings_update(actor=request.user, changes=changes,
                                         expected_version=form.cleaned_data.get("opened_version"))
        obj.pk, obj.version = saved.pk, saved.version


@admin.register(ClosedDay)
class ClosedDayAdmin(admin.ModelAdmin):
    """Extra closed days of the business calendar, written through core.settings_services (audited), as the
    calendar page writes them (/handoffs/calendar/)."""

    list_display = ("date", "name", "created_at")
    fields = ("date", "name")

    def has_change_permission(self, request, obj=None):
        return False  # remove the day and add it again: each is audited

    def save_model(self, request, obj, form, change):
        saved = closed_day_add(actor=request.user, date=obj.date, name=obj.name)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        closed_day_remove(actor=request.user, closed_day_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for day in queryset:
            closed_day_remove(actor=request.user, closed_day_id=day.pk)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    readonly_fields = [f.name for f in AuditEntry._meta.fields]


@admin.register(ImportMappingPreset)
class ImportMappingPresetAdmin(admin.ModelAdmin):
    list_display = ("kind", "name", "created_by", "created_at")
