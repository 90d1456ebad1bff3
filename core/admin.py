from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import AuditEntry, BusinessSettings, ImportMappingPreset, ImportRun, User


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


admin.site.register(BusinessSettings)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    readonly_fields = [f.name for f in AuditEntry._meta.fields]


@admin.register(ImportMappingPreset)
class ImportMappingPresetAdmin(admin.ModelAdmin):
    list_display = ("kind", "name", "created_by", "created_at")
