"""Coverage dashboard: figures by state (docs/rules.md §9), breadth, and open alerts by role and by person."""

from __future__ import annotations

from django.shortcuts import render
from django.views import View

from core.permissions import EVERYONE, RoleRequiredMixin
from segments.models import Segment

from .models import DailySnapshot
from .selectors import coverage_figures, open_alerts_by_role_and_person


class CoverageDashboardPage(RoleRequiredMixin, View):
    allowed_roles = EVERYONE

    def get(self, request):
        figures = coverage_figures()
        names = {s.code: (s.name_ja if request.LANGUAGE_CODE == "ja" else s.name_en) for s in Segment.objects.all()}
        rows = []
        for state, f in figures["by_state"].items():
            with_standard = f["compliant"] + f["under_covered"] + f["grace"]
            rows.append({"state": state, "name": names.get(state, state), **f,
                         "rate": round(100 * f["compliant"] / with_standard) if with_standard else None})
        by_role, by_person = open_alerts_by_role_and_person(people=25)
        trend = list(DailySnapshot.objects.order_by("-as_of")[:14])
        breadth = figures["breadth"]
        targets = breadth["target_accounts"] or 0
        return render(request, "dashboards/coverage.html", {
            "as_of": figures["as_of"], "rows": rows, "breadth": breadth,
            "touched_30_pct": round(100 * breadth["touched_30d"] / targets) if targets else 0,
            "touched_90_pct": round(100 * breadth["touched_90d"] / targets) if targets else 0,
            "by_role": by_role, "by_person": by_person, "trend": trend,
        })
