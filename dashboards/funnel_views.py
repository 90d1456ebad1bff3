"""The funnel and its movement: a night's accounts per state in lifecycle order and the moves between two dates, a
chart and tables, each count a drill-down to the accounts list, each table as CSV (dashboards.funnel)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from core.permissions import EVERYONE, RoleRequiredMixin

from .depth import completed_nights
from .filtering import (DashboardFilters, FilterError, csv_response, filter_bar, parse_filters,
                        unknown_table)
from .funnel import FunnelFigures, funnel_figures
from .views import refusal_page, state_names

FIELDS = ("as_of", "period", "team", "owner", "industry", "region", "icp_tier")
TABLES = ("funnel", "movement")


def moved_link(f: DashboardFilters, figures: FunnelFigures, **states) -> str:
    """The accounts list of the accounts that made a move (`moved_from` / `moved_to`) in the period, with the filter."""
    return f.accounts_link(**states, moved_after=figures.start.isoformat(), moved_before=figures.end.isoformat())


def labelled(figures: FunnelFigures, names: dict[str, str]) -> tuple[list[dict], list[dict]]:
    """The funnel's and the movement's rows with state names and drill-down links. The funnel's counts link only for
    the latest night: the accounts list shows the states accounts are in now."""
    f = figures.filters
    funnel = [{**row, "name": names.get(row["state"], row["state"]),
               "link": f.accounts_link(state=row["state"]) if figures.latest else "",
               "entered_link": moved_link(f, figures, moved_to=row["state"]),
               "left_link": moved_link(f, figures, moved_from=row["state"])} for row in figures.funnel]
    movement = [{**row, "from_name": names.get(row["from_state"], row["from_state"]),
                 "to_name": names.get(row["to_state"], row["to_state"]),
                 "link": moved_link(f, figures, moved_from=row["from_state"], moved_to=row["to_state"])}
                for row in figures.movement]
    return funnel, movement


def funnel_csv(figures: FunnelFigures, table: str, funnel: list[dict], movement: list[dict]) -> HttpResponse:
    night, start, end = figures.as_of.isoformat(), figures.start.isoformat(), figures.end.isoformat()
    if table == "funnel":
        header = [_("State code"), _("State"), _("Accounts"), _("Entered in the period"), _("Left in the period")]
        rows = [[r["state"], r["name"], r["accounts"], r["entered"], r["left"]] for r in funnel]
        return csv_response(f"funnel-{night}-{start}-{end}.csv", header, rows)
    header = [_("From state code"), _("From state"), _("To state code"), _("To state"), _("Moves")]
    rows = [[r["from_state"], r["from_name"], r["to_state"], r["to_name"], r["moves"]] for r in movement]
    return csv_response(f"movement-{start}-{end}.csv", header, rows)


def chart_data(funnel: list[dict]) -> dict:
    """What static/js/funnel-chart.js draws: the states' names and their accounts, already translated."""
    return {"labels": [r["name"] for r in funnel], "label": _("Accounts"), "data": [r["accounts"] for r in funnel]}


def refused(request: HttpRequest, template: str, lines: list[str], fields) -> HttpResponse:
    """The page with an empty filter bar and why the filter was refused, naming the field (400)."""
    return refusal_page(request, template, lines, fields, nights=completed_nights())


class FunnelPage(RoleRequiredMixin, View):
    """A night's funnel (the latest by default; `as_of`) and the moves of a period (`from`, `to`: the 30 days to the
    night by default), filtered by team, owner, industry, region and ICP tier in the URL; `?format=csv&table=…`
    exports a table. Managers, admins and executives see everyone's accounts; the others their own and their
    team's. Read from what the nights kept."""

    allowed_roles = EVERYONE
    template = "dashboards/funnel.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            f = parse_filters(request.GET, request.user)
            figures = funnel_figures(f)
        except FilterError as error:
            return refused(request, self.template, error.lines(), FIELDS)
        funnel, movement = labelled(figures, state_names(request))
        if request.GET.get("format") == "csv":
            table = request.GET.get("table", "")
            if table not in TABLES or figures.as_of is None:
                return refused(request, self.template, [unknown_table(TABLES)], FIELDS)
            return funnel_csv(figures, table, funnel, movement)
        shown = f.narrowed(as_of=figures.as_of, date_from=figures.start, date_to=figures.end)
        return render(request, self.template, {
            "figures": figures, "funnel": funnel, "movement": movement, "out_of_scope": figures.out_of_scope,
            "bar": filter_bar(shown, fields=FIELDS, nights=completed_nights()),
            "csv_query": shown.querystring(format="csv"), "chart": chart_data(funnel),
        })
