from django.contrib import admin

from .models import Requirement, Standard, StandardChange


class RequirementInline(admin.TabularInline):
    model = Requirement
    extra = 0


@admin.register(Standard)
class StandardAdmin(admin.ModelAdmin):
    list_display = ("state", "purpose", "owner_role", "version", "updated_at")
    inlines = [RequirementInline]


@admin.register(StandardChange)
class StandardChangeAdmin(admin.ModelAdmin):
    list_display = ("changed_at", "standard", "version", "changed_by")
    readonly_fields = [f.name for f in StandardChange._meta.fields]
