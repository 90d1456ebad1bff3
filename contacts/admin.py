from django.contrib import admin

from .models import ContactPerson, Touch


@admin.register(Touch)
class TouchAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "account", "kind", "channel", "content_stage", "performer", "performer_role", "source")
    list_filter = ("kind", "channel", "content_stage", "performer_role", "source")
    search_fields = ("external_id", "account__name")
    raw_id_fields = ("account", "performer")
    show_full_result_count = False


@admin.register(ContactPerson)
class ContactPersonAdmin(admin.ModelAdmin):
    list_display = ("name", "account", "email", "title")
    search_fields = ("name", "email", "account__name")
    raw_id_fields = ("account",)
