from django.contrib import admin

from .models import Alert, CoverageRow, RecomputeChunk, RecomputeRun


@admin.register(RecomputeRun)
class RecomputeRunAdmin(admin.ModelAdmin):
    list_display = ("as_of", "status", "mode", "started_at", "finished_at", "accounts", "accounts_evaluated",
                    "chunks_done", "chunks_total", "alerts_opened", "alerts_resolved")
    list_filter = ("status", "mode")
    readonly_fields = [f.name for f in RecomputeRun._meta.fields]


@admin.register(RecomputeChunk)
class RecomputeChunkAdmin(admin.ModelAdmin):
    list_display = ("run", "index", "first_account_id", "last_account_id", "done", "finished_at")
    list_filter = ("done",)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("account", "state", "requirement", "status", "opened_on", "resolved_on", "resolution", "assignee", "gap")
    list_filter = ("status", "state", "responsible_role", "resolution")
    raw_id_fields = ("account", "assignee", "acknowledged_by")
    show_full_result_count = False


@admin.register(CoverageRow)
class CoverageRowAdmin(admin.ModelAdmin):
    list_display = ("account", "state", "requirement", "counted", "gap", "status", "due_on", "assignee")
    list_filter = ("status", "state")
    raw_id_fields = ("account", "assignee")
    show_full_result_count = False
