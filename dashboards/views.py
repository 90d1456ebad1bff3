"""Coverage dashboard: figures by state (docs/rules.md §9), breadth, and open alerts by role and by person — as of the
latest night or, with `?as_of=`, as a past night kept them; and the trends page: each night of a period as charts
and tables. Every table also as CSV (`?format=csv&table=…`, UTF-8 with a byte order mark, for Excel)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from core.choices import Role, State
from core.permissions import EVERYONE, MANAGERS, RoleRequiredMixin
from segments.models import Segment

from . import selectors
from . import trends as trends_selectors
from .coverage import PEOPLE, CoverageView, coverage_view
from .filtering import (ACCOUNT_PARAMS, DashboardFilters, FilterError, Scope, csv_response, filter_bar,
                        parse_filters)
from .models import DailySnapshot

ROLE_LABELS = dict(Role.choices)


def state_names(request) -> dict[str, str]:
    """Each state's name in the reader's language (segments.Segment), by code."""
    japanese = request.LANGUAGE_CODE == "ja"
    return {s.code: (s.name_ja if japanese else s.name_en) for s in Segment.objects.only("code", "name_ja", "name_en")}


def percent(value: float | None) -> float | None:
    return round(100 * value, 1) if value is not None else None


def bad_request(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def refusal_page(request, template: str, lines: list[str], fields, *, exporting: bool = False, nights=None,
                 **extra) -> HttpResponse:
    """Why the filter was refused, naming the field (400): the page with an empty filter bar (and `nights` in its
    night picker), or the lines as plain text for a CSV export."""
    if exporting:
        return bad_request("\n".join(lines))
    bar = filter_bar(DashboardFilters(scope=Scope.of(request.user)), fields=fields, nights=nights)
    return render(request, template, {"errors": lines, "bar": bar, **extra}, status=400)


def state_rows(figures: dict, names: dict[str, str], f: DashboardFilters | None = None) -> list[dict]:
    """§9's table per state, each figure with its drill-down to the accounts it counts."""
    f = f or DashboardFilters()
    rows = []
    for state, figure in figures["by_state"].items():
        with_standard = figure["compliant"] + figure["under_covered"] + figure["grace"]
        rows.append({"state": state, "name": names.get(state, state), **figure,
                     "rate": round(100 * figure["compliant"] / with_standard) if with_standard else None,
                     "links": class_links(f, state=state)})
    return rows


def class_links(f: DashboardFilters, **key) -> dict[str, str]:
    """Drill-downs of one row: its accounts, and those of each coverage class (docs/rules.md §9)."""
    return {"accounts": f.accounts_link(**key),
            **{name: f.accounts_link(**key, coverage=name) for name in ("compliant", "under_covered", "grace")}}


def role_state_rows(rows: list[dict], names: dict[str, str], f: DashboardFilters) -> list[dict]:
    """The people's figures per state and responsible role, labelled, each figure with its drill-down."""
    result = []
    for row in rows:
        with_standard = row["compliant"] + row["under_covered"] + row["grace"]
        result.append({**row, "name": names.get(row["state"], row["state"]),
                       "role_label": ROLE_LABELS.get(row["responsible_role"], ""),
                       "rate": round(100 * row["compliant"] / with_standard) if with_standard else None,
                       "links": class_links(f, state=row["state"], responsible_role=row["responsible_role"])})
    return result


def breadth_links(f: DashboardFilters) -> dict[str, str]:
    """Target accounts (docs/rules.md §9), and those touched within 30 and 90 days, with the filter."""
    return {"targets": f.accounts_link(target="true"),
            "touched_30d": f.accounts_link(target="true", touched_within=30),
            "touched_90d": f.accounts_link(target="true", touched_within=90)}


def alert_links(user, f: DashboardFilters, by_role: list[dict], by_person: list[dict]) -> None:
    """Managers (who may open the open-alerts page) follow each count to those alerts."""
    if user.role not in MANAGERS:
        return
    base = reverse("engine:alerts")
    people = {"assignee": f.owner} if f.owner is not None else {"team": f.team} if f.team else {}
    for row in by_role:
        row["link"] = f"{base}?{urlencode({'role': row['responsible_role'], **people})}"
    for row in by_person:
        row["link"] = f"{base}?{urlencode({'assignee': row['assignee_id']})}"


def coverage_tables(view: CoverageView, rows: list[dict]) -> dict:
    """The dashboard's tables as (header, rows) for CSV, the same figures and labels as the page."""
    figures = [_("Accounts"), _("Compliant"), _("Under-covered"), _("Grace"), _("Compliance (%)")]
    tables = {
        "roles": ([_("Responsible role"), _("Open alerts")], [[r["label"], r["n"]] for r in view.alerts_by_role]),
        "people": ([_("Person"), _("Team"), _("Open alerts")],
                   [[p["assignee__full_name"] or p["assignee__username"], p["assignee__team"], p["n"]]
                    for p in view.alerts_by_person]),
    }
    if view.mode == PEOPLE:
        tables["states"] = ([_("State"), _("Responsible role"), *figures],
                            [[r["name"], r["role_label"], r["accounts"], r["compliant"], r["under_covered"],
                              r["grace"], r["rate"]] for r in rows])
    else:
        tables["states"] = ([_("State"), *figures], [[r["name"], r["accounts"], r["compliant"], r["under_covered"],
                                                      r["grace"], r["rate"]] for r in rows])
    return tables


COVERAGE_FIELDS = ("as_of", *ACCOUNT_PARAMS)


class CoverageDashboardPage(RoleRequiredMixin, View):
    """The latest night's figures, or a past night's as it kept them (`?as_of=YYYY-MM-DD`), for the filter in the URL
    (dashboards.filtering; what answers which filter: dashboards.coverage): a date without a completed night says so
    on the page (no 404); a value that cannot be read is refused naming its parameter (400). Managers, admins and
    executives read everyone's figures, the other roles their own and their team's. Every figure links to the
    accounts it counts; every table downloads as CSV (`?format=csv&table=states|roles|people`)."""

    allowed_roles = EVERYONE

    def get(self, request):
        exporting = request.GET.get("format") == "csv"
        try:
            f = parse_filters(request.GET, request.user)
        except FilterError as refused:
            return refusal_page(request, "dashboards/coverage.html", refused.lines(), COVERAGE_FIELDS,
                                exporting=exporting)
        view = coverage_view(f)
        names = state_names(request)
        for row in view.alerts_by_role:
            row["label"] = ROLE_LABELS.get(row["responsible_role"], "")
        rows = (role_state_rows(view.by_state_and_role, names, f) if view.mode == PEOPLE
                else state_rows(view.figures or selectors.empty_figures(), names, f))
        if exporting:
            return self.export(request, view, rows)
        alert_links(request.user, f, view.alerts_by_role, view.alerts_by_person)
        breadth = (view.figures or selectors.empty_figures())["breadth"]
        targets = breadth["target_accounts"] or 0
        nights = list(DailySnapshot.objects.order_by("-as_of").values_list("as_of", flat=True)[:60])
        return render(request, "dashboards/coverage.html", {
            "view": view, "as_of": view.night, "chosen": f.as_of, "missing": view.missing, "rows": rows,
            "people_mode": view.mode == PEOPLE, "breadth": breadth, "breadth_links": breadth_links(f),
            "touched_30_pct": round(100 * breadth["touched_30d"] / targets) if targets else 0,
            "touched_90_pct": round(100 * breadth["touched_90d"] / targets) if targets else 0,
            "by_role": view.alerts_by_role, "by_person": view.alerts_by_person, "nights": nights[:14],
            "bar": filter_bar(f, fields=COVERAGE_FIELDS, nights=nights),
            "csv_query": f.querystring(format="csv"), "night_query": f.querystring(as_of=None), "ignored": view.mode == PEOPLE and f.by_account,
        })

    def export(self, request, view: CoverageView, rows: list[dict]):
        table = request.GET.get("table", "")
        tables = coverage_tables(view, rows)
        if table not in tables:
            return bad_request(_("table: choose one of %(tables)s.") % {"tables": ", ".join(tables)})
        suffix = (view.night.isoformat() if view.night else "none") if table == "states" else "now"
        return csv_response(f"coverage-{table}-{suffix}.csv", *tables[table])


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


def trend_links(f: DashboardFilters, trends: dict, names: dict[str, str]) -> list[tuple[str, str]]:
    """Drill-downs from the trends: the accounts of each charted state, and the target accounts, with the filter
    (the accounts list shows them as they are now)."""
    links = [(names.get(state, state), f.accounts_link(state=state))
             for state in trends_selectors.rated_states(trends)]
    links.append((_("Target accounts"), f.accounts_link(target="true")))
    return links


TREND_FIELDS = ("period", *ACCOUNT_PARAMS)


class TrendsPage(RoleRequiredMixin, View):
    """Each completed night of a period (`from`, `to` in the URL; the 90 days to today by default) for the filter in
    the URL (dashboards.filtering): compliance per state, alerts opened and resolved, breadth — a chart and a table
    each, each table as CSV. Read from the kept snapshots and runs (dashboards.trends), whatever the number of
    accounts and touches. Reps read their own and their team's figures."""

    allowed_roles = EVERYONE

    def get(self, request):
        exporting = request.GET.get("format") == "csv"
        try:
            f = parse_filters(request.GET, request.user)
            start, end, trends = trends_selectors.trend_figures(f)
        except FilterError as refused:
            return refusal_page(request, "dashboards/trends.html", refused.lines(), TREND_FIELDS, exporting=exporting)
        if exporting and request.GET.get("table") not in TREND_TABLES:
            return bad_request(_("table: choose one of %(tables)s.") % {"tables": ", ".join(TREND_TABLES)})
        names = state_names(request)
        tables = trend_tables(trends, names)
        if exporting:
            table = request.GET["table"]
            return csv_response(f"coverage-trends-{table}-{start}-{end}.csv", *tables[table])
        f.date_from, f.date_to = start, end
        shown = [name for name in TREND_TABLES if not (f.by_person and name == "alerts")]
        return render(request, "dashboards/trends.html", {
            "start": start, "end": end, "bar": filter_bar(f, fields=TREND_FIELDS), "people_mode": f.by_person,
            "csv_query": f.querystring(format="csv"), "links": trend_links(f, trends, names),
            "tables": [{"name": name, "title": TREND_TITLES[name], "header": tables[name][0],
                        "rows": tables[name][1]} for name in shown],
            "empty": not tables["alerts"][1], "chart_data": chart_data(tables),
        })
