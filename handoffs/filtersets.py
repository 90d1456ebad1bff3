"""One FilterSet for handoffs, the API's (the handoff pages are specified, not served yet: docs/api.md §6)."""

import django_filters

from core.api.filters import IdFilter
from handoffs.models import Handoff


class HandoffFilterSet(django_filters.FilterSet):
    assignee = IdFilter(field_name="assignee_id")

    class Meta:
        model = Handoff
        fields = ["status", "assignee", "to_role", "to_state"]
