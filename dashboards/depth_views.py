"""Coverage depth and breadth of a night: the page and its CSV exports (dashboards.depth; docs/rules.md §4, §9)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from core.choices import Role, State
from core.csvio import stream_csv
from core.permissions import EVERYONE, RoleRequiredMixin

from .depth import TIERS, DepthError, DepthFigures, completed_nights, depth_figures, filter_choices, parse_filters

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


UNLINKED = ("by_role", "by_team")


def _accounts_link(**params) -> str:
    """The accounts list with the filters it takes (accounts/filtersets.py); empty values left out."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse("accounts:list") + (f"?{query}" if query else "")


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
            owner = row.get("owner_id", f.owner)
            state = row.get("state", f.state)
            if name.startswith("breadth"):
                base = dict(state=state, industry=row.get("industry", f.industry), region=row.get("region", f.region),
                            icp_tier=row.get("icp_tier", f.tier))
            else:
                base = dict(state=state, owner=owner)
            for key in ("compliance_rate", "touches_done_rate", "human_share", "touched_30d_rate", "touched_90d_rate"):
                if key in row:
                    row[f"{key}_pct"] = "—" if row[key] is None else f"{row[key] * 100:.0f}%"
            # The accounts list has no responsible role or team filter: those tables' counts are not linked.
            linked = name not in UNLINKED
            row["link_accounts"] = _accounts_link(**base) if linked else ""
            row["link_under_covered"] = _accounts_link(**base, status="under_covered") if linked else ""
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


def _csv_response(figures: DepthFigures, table: str) -> StreamingHttpResponse:
    keys, columns = TABLE_COLUMNS[table]
    header = [*keys, *columns]
    rows = ([_csv_cell(row, c) for c in header] for row in getattr(figures, table))

    def stream() -> Iterator[str]:
        yield "\ufeff"  # BOM: Excel opens UTF-8 with Japanese text correctly
        yield from stream_csv(header, rows)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="depth-{figures.as_of.isoformat()}-{table}.csv"'
    return response


class DepthPage(RoleRequiredMixin, View):
    """A night's coverage depth (per responsible role, owner, team, state and role) and breadth (per state, industry,
    region, ICP tier), read from what the night kept; filters in the URL; `?format=csv&table=…` exports a table.
    Managers, admins and executives see everyone's depth; the others their own and their team's."""

    allowed_roles = EVERYONE

    def get(self, request: HttpRequest) -> HttpResponse:
        context = {"nights": [], "states": State.choices, "tiers": TIERS, "params": request.GET}
        try:
            filters = parse_filters(request.GET)
            figures = depth_figures(request.user, filters)
        except DepthError as exc:
            return render(request, "dashboards/depth.html", {**context, "error": f"{exc.field}: {exc.message}"},
                          status=400)
        if request.GET.get("format") == "csv":
            table = request.GET.get("table", "")
            if table not in TABLE_COLUMNS or figures.as_of is None:
                message = "table: " + _("Choose a table to export on a night: %(tables)s.") % {
                    "tables": ", ".join(TABLE_COLUMNS)}
                return render(request, "dashboards/depth.html", {**context, "error": message}, status=400)
            return _csv_response(figures, table)
        query = filters.query()
        owners, teams = filter_choices()
        depth_sections, breadth_sections = _sections(_label_rows(figures))
        return render(request, "dashboards/depth.html", {
            **context, "figures": figures, "depth_sections": depth_sections, "breadth_sections": breadth_sections,
            "filters": filters, "total": figures.breadth_total, "owners": owners, "teams": teams,
            "nights": completed_nights(), "csv_query": urlencode({**query, "format": "csv"}),
            "depth_empty": not figures.by_role, "breadth_empty": not figures.breadth_by_state,
        })
