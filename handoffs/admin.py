from django.contrib import admin

from .models import Handoff, HandoffAlert, HandoffRule


@admin.register(HandoffRule)
class HandoffRuleAdmin(admin.ModelAdmin):
    list_display = ("order", "name", "to_state", "from_states", "from_role", "to_role", "model", "sla_business_hours", "active")


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    list_display = ("account", "from_state", "to_state", "from_role", "to_role", "created_on", "status", "assignee", "due_at")
    list_filter = ("status", "to_state", "model")
    raw_id_fields = ("account", "assignee", "decided_by", "rule")
    show_full_result_count = False


@admin.register(HandoffAlert)
class HandoffAlertAdmin(admin.ModelAdmin):
    list_display = ("handoff", "kind", "recipient", "recipient_role", "status", "opened_at", "resolved_at")
    list_filter = ("kind", "status")
    raw_id_fields = ("handoff", "recipient")
    show_full_result_count = False
