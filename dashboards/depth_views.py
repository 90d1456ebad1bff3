"""Coverage depth and breadth of a night: the page and its CSV exports (dashboards.depth; docs/rules.md §4, §9)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from core.choices import Role, State
from core.permissions import EVERYONE, RoleRequiredMixin

from .depth import DepthFigures, completed_nights, depth_figures
from .filtering import (ACCOUNT_PARAMS, DashboardFilters, FilterError, csv_response, filter_bar, parse_filters,
                        unknown_table)
from .views import refusal_page

DEPTH_COLUMNS = ("accounts", "compliant", "under_covered", "grace", "compliance_rate", "touches_done",
                 "touches_required", "touches_done_rate", "human_touches", "digital_touches", "human_share")
BREADTH_COLUMNS = ("accounts", "compliant", "under_covered", "grace", "compliance_rate", "touched_30d",
                   "touched_30d_rate", "touched_90d", "touched_90d_rate")
# Per table: its key columns (CSV header names) and its figure columns.
TABLE_COLUMNS = {
    "by_role": (("responsible_role",), DEPTH_COLUMNS),
    "by_owner": (("owner_username", "owner_name", "team"), DEPTH_COLUMNS),
    "by_team": (("team",), DEPTH_COLUMNS),
    "by_state": (("state", "responsible_role"), DEPTH_COLUMNS),
    "breadth_by_state": (("state",), BREADTH_COLUMNS),
    "breadth_by_industry": (("industry",), BREADTH_COLUMNS),
    "breadth_by_region": (("region",), BREADTH_COLUMNS),
    "breadth_by_tier": (("icp_tier",), BREADTH_COLUMNS),
}


BREADTH_KEYS = {"breadth_by_industry": "industry", "breadth_by_region": "region", "breadth_by_tier": "icp_tier"}


def _links(name: str, row: dict, f: DashboardFilters) -> dict[str, str]:
    """The accounts a row counts, and those under-covered (docs/rules.md §9), with the page's filter. Depth rows
    with a responsible role select that role's requirements (their assignee, their class); breadth rows the
    accounts' own attributes, and the filter's people. A row of no one (no owner, no team, no industry…) has no
    filter to say so: no link."""
    if name.startswith("breadth"):
        # Breadth counts the accounts of the filter's people (any owner column): its links carry the people and the
        # account attributes.
        key = {"state": row.get("state", f.state), "industry": row.get("industry", f.industry),
               "region": row.get("region", f.region), "icp_tier": row.get("icp_tier", f.icp_tier),
               "target": "" if name == "breadth_by_state" else "true"}
        column = BREADTH_KEYS.get(name)
        if column and not row.get(column):
            return {"link_accounts": "", "link_under_covered": ""}
        return {"link_accounts": f.accounts_link(**key), "link_under_covered": f.accounts_link(**key,
                                                                                             coverage="under_covered")}
    key = {"state": row.get("state", f.state), "responsible_role": row.get("responsible_role")}
    if name == "by_owner":
        key["owner"] = row.get("owner_id")
    if name == "by_team":
        key["team"] = row.get("team")
    if (name == "by_owner" and row.get("owner_id") is None) or (name == "by_team" and not row.get("team")):
        return {"link_accounts": "", "link_under_covered": ""}
    return {"link_accounts": f.accounts_link(**key), "link_under_covered": f.accounts_link(**key,
                                                                                          coverage="under_covered")}


def _label_rows(figures: DepthFigures) -> dict[str, list[dict]]:
    """Each table's rows with display labels and drill-down links to the accounts list."""
    states, roles, f = dict(State.choices), dict(Role.choices), figures.filters
    tables: dict[str, list[dict]] = {}
    for name in DepthFigures.TABLES:
        rows = []
        for row in getattr(figures, name):
            row = dict(row)
            row["state_label"] = states.get(row.get("state", ""), "")
            row["role_label"] = roles.get(row.get("responsible_role", ""), "")
            for key in ("compliance_rate", "touches_done_rate", "human_share", "touched_30d_rate", "touched_90d_rate"):
                if key in row:
                    row[f"{key}_pct"] = "—" if row[key] is None else f"{row[key] * 100:.0f}%"
            row.update(_links(name, row, f))
            rows.append(row)
        tables[name] = rows
    return tables


def _sections(tables: dict[str, list[dict]]) -> tuple[list[dict], list[dict]]:
    """The page's depth and breadth tables in order: name, title, key headings, rows."""
    role, owner, team, state = _("Responsible role"), _("Owner"), _("Team"), _("State")
    depth = [("by_role", _("By responsible role"), [role]), ("by_owner", _("By owner"), [owner, team]),
             ("by_team", _("By team"), [team]), ("by_state", _("By state and responsible role"), [state, role])]
    breadth = [("breadth_by_state", _("Breadth by state"), [state]),
               ("breadth_by_industry", _("Breadth by industry"), [_("Industry")]),
               ("breadth_by_region", _("Breadth by region"), [_("Region")]),
               ("breadth_by_tier", _("Breadth by ICP tier"), [_("ICP tier")])]
    return ([{"name": n, "title": t, "headings": h, "rows": tables[n], "breadth": False} for n, t, h in depth],
            [{"name": n, "title": t, "headings": h, "rows": tables[n], "breadth": True} for n, t, h in breadth])


def _csv_cell(row: dict, column: str):
    value = row.get(column)
    return "" if value is None else value


def _csv_response(figures: DepthFigures, table: str) -> HttpResponse:
    keys, columns = TABLE_COLUMNS[table]
    header = [*keys, *columns]
    rows = ([_csv_cell(row, c) for c in header] for row in getattr(figures, table))
    return csv_response(f"depth-{figures.as_of.isoformat()}-{table}.csv", header, rows)


DEPTH_FIELDS = ("as_of", *ACCOUNT_PARAMS)


class DepthPage(RoleRequiredMixin, View):
    """A night's coverage depth (per responsible role, owner, team, state and role) and breadth (per state, industry,
    region, ICP tier), read from what the night kept; the shared filters in the URL (dashboards.filtering);
    `?format=csv&table=…` exports a table. Managers, admins and executives see everyone's depth and breadth; the
    others their own and their team's. Each count opens the accounts it counts."""

    allowed_roles = EVERYONE

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            filters = parse_filters(request.GET, request.user)
            figures = depth_figures(filters)
        except FilterError as refused:
            return refusal_page(request, "dashboards/depth.html", refused.lines(), DEPTH_FIELDS,
                                nights=completed_nights())
        if request.GET.get("format") == "csv":
            table = request.GET.get("table", "")
            if table not in TABLE_COLUMNS or figures.as_of is None:
                bar = filter_bar(filters, fields=DEPTH_FIELDS, nights=completed_nights())
                return render(request, "dashboards/depth.html", {"errors": [unknown_table(TABLE_COLUMNS)], "bar": bar},
                              status=400)
            return _csv_response(figures, table)
        depth_sections, breadth_sections = _sections(_label_rows(figures))
        return render(request, "dashboards/depth.html", {
            "figures": figures, "depth_sections": depth_sections, "breadth_sections": breadth_sections,
            "filters": filters, "total": figures.breadth_total,
            "bar": filter_bar(filters, fields=DEPTH_FIELDS, nights=completed_nights()),
            "csv_query": filters.querystring(format="csv"),
            "depth_empty": not figures.by_role, "breadth_empty": not figures.breadth_by_state,
        })
