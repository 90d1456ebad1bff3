from django.contrib import admin

from .models import Segment, StateThresholds, StateTransition

admin.site.register(Segment)
admin.site.register(StateThresholds)


@admin.register(StateTransition)
class StateTransitionAdmin(admin.ModelAdmin):
    list_display = ("as_of", "account", "from_state", "to_state", "rule")
    list_filter = ("to_state", "from_state", "rule")
    raw_id_fields = ("account",)
    show_full_result_count = False
