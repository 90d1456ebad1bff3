"""Coverage dashboard: figures by state (docs/rules.md §9), breadth, and open alerts by role and by person — as of the
latest night or, with `?as_of=`, as a past night kept them; and the trends page: each night of a period as charts
and tables. Every table also as CSV (`?format=csv&table=…`, UTF-8 with a byte order mark, for Excel)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from core.choices import Role, State
from core.csvio import BOM, stream_csv
from core.permissions import EVERYONE, RoleRequiredMixin
from segments.models import Segment

from . import trends as trends_selectors
from .models import DailySnapshot
from .selectors import coverage_figures, kept_coverage_figures, open_alerts_by_role_and_person

ROLE_LABELS = dict(Role.choices)


def state_names(request) -> dict[str, str]:
    """Each state's name in the reader's language (segments.Segment), by code."""
    japanese = request.LANGUAGE_CODE == "ja"
    return {s.code: (s.name_ja if japanese else s.name_en) for s in Segment.objects.only("code", "name_ja", "name_en")}


def percent(value: float | None) -> float | None:
    return round(100 * value, 1) if value is not None else None


def csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(BOM + "".join(stream_csv(header, rows)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def bad_request(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def empty_figures() -> dict:
    """Every figure 0, for a date without a completed night."""
    return {"as_of": None, "by_state": {state: dict(trends_selectors.EMPTY_STATE) for state in State.values},
            "breadth": {"target_accounts": 0, "touched_30d": 0, "touched_90d": 0}}


def state_rows(figures: dict, names: dict[str, str]) -> list[dict]:
    rows = []
    for state, f in figures["by_state"].items():
        with_standard = f["compliant"] + f["under_covered"] + f["grace"]
        rows.append({"state": state, "name": names.get(state, state), **f,
                     "rate": round(100 * f["compliant"] / with_standard) if with_standard else None})
    return rows


def coverage_tables(rows: list[dict], by_role: list[dict], by_person: list[dict]) -> dict:
    """The dashboard's tables as (header, rows) for CSV, the same figures and labels as the page."""
    return {
        "states": ([_("State"), _("Accounts"), _("Compliant"), _("Under-covered"), _("Grace"), _("Compliance (%)")],
                   [[r["name"], r["accounts"], r["compliant"], r["under_covered"], r["grace"], r["rate"]]
                    for r in rows]),
        "roles": ([_("Responsible role"), _("Open alerts")], [[r["label"], r["n"]] for r in by_role]),
        "people": ([_("Person"), _("Team"), _("Open alerts")],
                   [[p["assignee__full_name"] or p["assignee__username"], p["assignee__team"], p["n"]]
                    for p in by_person]),
    }


class CoverageDashboardPage(RoleRequiredMixin, View):
    """The latest night's figures, or a past night's as it kept them (`?as_of=YYYY-MM-DD`): a date without a completed
    night says so on the page (no 404); a malformed date is refused naming the field (400). Open alerts are
    always as they are now."""

    allowed_roles = EVERYONE

    def get(self, request):
        raw = request.GET.get("as_of", "").strip()
        chosen, error, figures = None, None, coverage_figures() if not raw else None
        if raw:
            try:
                chosen = dt.date.fromisoformat(raw)
            except ValueError:
                error = _("As of: “%(value)s” is not a date: use YYYY-MM-DD.") % {"value": raw[:40]}
            else:
                figures = kept_coverage_figures(as_of=chosen)
        if error and request.GET.get("format") == "csv":
            return bad_request(error)
        missing = figures is None
        figures = figures or empty_figures()
        rows = state_rows(figures, state_names(request))
        by_role, by_person = open_alerts_by_role_and_person(people=25)
        by_role = [{**r, "label": ROLE_LABELS.get(r["responsible_role"], r["responsible_role"])} for r in by_role]
        if request.GET.get("format") == "csv":
            return self.export(request, figures, rows, by_role, by_person)
        breadth = figures["breadth"]
        targets = breadth["target_accounts"] or 0
        return render(request, "dashboards/coverage.html", {
            "as_of": figures["as_of"], "chosen": chosen, "raw_as_of": raw, "error": error,
            "missing": missing and not error, "rows": rows, "breadth": breadth,
            "touched_30_pct": round(100 * breadth["touched_30d"] / targets) if targets else 0,
            "touched_90_pct": round(100 * breadth["touched_90d"] / targets) if targets else 0,
            "by_role": by_role, "by_person": by_person,
            "nights": list(DailySnapshot.objects.order_by("-as_of").values_list("as_of", flat=True)[:14]),
        }, status=400 if error else 200)

    def export(self, request, figures, rows, by_role, by_person):
        table = request.GET.get("table", "")
        tables = coverage_tables(rows, by_role, by_person)
        if table not in tables:
            return bad_request(_("Table: choose one of %(tables)s.") % {"tables": ", ".join(tables)})
        header, data = tables[table]
        suffix = (figures["as_of"] or "none") if table == "states" else "now"
        return csv_response(f"coverage-{table}-{suffix}.csv", header, data)


TREND_TABLES = ("compliance", "alerts", "breadth")
TREND_TITLES = {
    "compliance": gettext_lazy("Compliance per state (%)"),
    "alerts": gettext_lazy("Alerts opened and resolved per night"),
    "breadth": gettext_lazy("Breadth: target accounts touched (%)"),
}


def trend_tables(trends: dict, names: dict[str, str]) -> dict:
    """The trends page's three tables — header and rows, percentages as the charts draw them — for the page and
    its CSV: compliance per state (only the states with requirements), alerts opened and resolved, breadth."""
    states = trends_selectors.rated_states(trends)
    nights = trends["nights"]
    compliance = [[n["as_of"], *(percent(n["by_state"][s]["rate"]) if n["by_state"] else None for s in states)]
                  for n in nights]
    alerts = [[n["as_of"], n["alerts_opened"], n["alerts_resolved"]] for n in nights]
    breadth = [[n["as_of"], *((b["target_accounts"], b["touched_30d"], percent(b["touched_30d_rate"]),
                               b["touched_90d"], percent(b["touched_90d_rate"])) if (b := n["breadth"])
                              else (None,) * 5)] for n in nights]
    return {
        "compliance": ([_("Date"), *(_("%(state)s (%%)") % {"state": names.get(s, s)} for s in states)], compliance),
        "alerts": ([_("Date"), _("Alerts opened"), _("Alerts resolved")], alerts),
        "breadth": ([_("Date"), _("Target accounts"), _("Touched in the last 30 days"), _("Touched in 30 days (%)"),
                     _("Touched in the last 90 days"), _("Touched in 90 days (%)")], breadth),
    }


def chart_data(tables: dict) -> dict:
    """What static/js/dashboard-charts.js draws (through json_script): labels and series, already translated."""
    compliance_header, compliance = tables["compliance"]
    alerts_header, alerts = tables["alerts"]
    breadth_header, breadth = tables["breadth"]
    return {
        "labels": [row[0] for row in alerts],
        "compliance": [{"label": compliance_header[i], "data": [row[i] for row in compliance]}
                       for i in range(1, len(compliance_header))],
        "alerts": [{"label": alerts_header[i], "data": [row[i] for row in alerts]} for i in (1, 2)],
        "breadth": [{"label": breadth_header[i], "data": [row[i] for row in breadth]} for i in (3, 5)],
    }


class TrendsPage(RoleRequiredMixin, View):
    """Each completed night of a period (`from`, `to` in the URL; the 90 days to today by default): compliance per
    state, alerts opened and resolved, breadth — a chart and a table each, each table as CSV. Read from the kept
    snapshots and runs (dashboards.trends), whatever the number of accounts and touches."""

    allowed_roles = EVERYONE

    def get(self, request):
        raw_from, raw_to = request.GET.get("from"), request.GET.get("to")
        exporting = request.GET.get("format") == "csv"
        try:
            start, end = trends_selectors.trend_range(raw_from, raw_to)
        except trends_selectors.TrendRangeError as refused:
            errors = [f"{_('From') if field == 'from' else _('To')}: {' '.join(messages)}"
                      for field, messages in refused.errors.items()]
            if exporting:
                return bad_request("\n".join(errors))
            return render(request, "dashboards/trends.html", {"errors": errors, "raw_from": raw_from or "",
                                                              "raw_to": raw_to or ""}, status=400)
        if exporting and request.GET.get("table") not in TREND_TABLES:
            return bad_request(_("Table: choose one of %(tables)s.") % {"tables": ", ".join(TREND_TABLES)})
        tables = trend_tables(trends_selectors.coverage_trends(start=start, end=end), state_names(request))
        if exporting:
            table = request.GET["table"]
            return csv_response(f"coverage-trends-{table}-{start}-{end}.csv", *tables[table])
        return render(request, "dashboards/trends.html", {
            "start": start, "end": end, "raw_from": start.isoformat(), "raw_to": end.isoformat(),
            "tables": [{"name": name, "title": TREND_TITLES[name], "header": tables[name][0],
                        "rows": tables[name][1]} for name in TREND_TABLES],
            "empty": not tables["alerts"][1], "chart_data": chart_data(tables),
        })
