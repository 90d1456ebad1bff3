from django.contrib import admin

from .models import IcpProfile, IcpProfileVersion


class VersionInline(admin.TabularInline):
    model = IcpProfileVersion
    extra = 0
    readonly_fields = ("number", "tiers", "criteria", "created_by", "created_at")


@admin.register(IcpProfile)
class IcpProfileAdmin(admin.ModelAdmin):
    list_display = ("name", "active", "current_version", "updated_at")
    inlines = [VersionInline]
