"""Content mix against the plan: a night's counting touches per state by content stage and by channel, planned against
actual share against the plan the night kept, in a chart and tables, what the plan expects but no touch carried; each
table as CSV (dashboards.content_mix)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from core.choices import Channel, ContentStage
from core.permissions import EVERYONE, RoleRequiredMixin

from .content_mix import ContentMixFigures, content_mix_figures
from .depth import completed_nights
from .filtering import FilterError, csv_response, filter_bar, parse_filters, unknown_table
from .funnel_views import refused
from .views import state_names

FIELDS = ("as_of", "team", "owner", "state")
TABLES = {"stages": ("stages", "content_stage"), "channels": ("channels", "channel")}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def labelled(figures: ContentMixFigures, names: dict[str, str]) -> list[dict]:
    """Each state's stage and channel lines with their names in the reader's language (no code on screen)."""
    stage_names = {**dict(ContentStage.choices), "": _("No content stage")}
    channel_names = {**dict(Channel.choices), "": _("No channel")}
    states = []
    for row in figures.states:
        lines = {}
        for table, (key, column) in TABLES.items():
            words = stage_names if column == "content_stage" else channel_names
            lines[table] = [{**line, "name": str(words.get(line[column], line[column])),
                             "planned_pct": _pct(line["planned_share"]), "share_pct": _pct(line["share"])}
                            for line in row[key]]
        states.append({**row, "name": names.get(row["state"], row["state"]), **lines})
    return states


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def chart_data(states: list[dict]) -> dict:
    """What static/js/content-mix-chart.js draws: per state and table (stages, channels), each line's name (already
    translated) with its planned and actual share in percent, the tables' lines in their order."""
    return {"planned": _("Planned share"), "actual": _("Actual share"),
            "states": {s["state"]: {table: {"labels": [line["name"] for line in s[table]],
                                            "planned": [_percent(line["planned_share"]) for line in s[table]],
                                            "actual": [_percent(line["share"]) for line in s[table]]}
                                    for table in TABLES}
                       for s in states}}


def mix_csv(figures: ContentMixFigures, states: list[dict], table: str) -> HttpResponse:
    key, column = TABLES[table]
    what = _("Content stage") if column == "content_stage" else _("Channel")
    header = [_("State code"), _("State"), f"{what} ({_('code')})", what, _("In the plan"), _("Planned share"),
              _("Touches"), _("Share"), _("Missing")]
    rows = [[s["state"], s["name"], line[column], line["name"], line["in_plan"], line["planned_share"],
             line["touches"], line["share"], line["missing"]] for s in states for line in s[key]]
    return csv_response(f"content-mix-{table}-{figures.as_of.isoformat()}.csv", header, rows)


class ContentMixPage(RoleRequiredMixin, View):
    """A night's content mix (the latest by default; `as_of`) per state against its content plan, filtered by state,
    team and owner in the URL; `?format=csv&table=stages|channels` exports a table. Managers, admins and executives
    see everyone's accounts; the others their own and their team's. Read from what the nights kept."""

    allowed_roles = EVERYONE
    template = "dashboards/content_mix.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            f = parse_filters(request.GET, request.user)
            figures = content_mix_figures(f)
        except FilterError as error:
            return refused(request, self.template, error.lines(), FIELDS)
        states = labelled(figures, state_names(request))
        if request.GET.get("format") == "csv":
            table = request.GET.get("table", "")
            if table not in TABLES or figures.as_of is None:
                return refused(request, self.template, [unknown_table(TABLES)], FIELDS)
            return mix_csv(figures, states, table)
        shown = f.narrowed(as_of=figures.as_of)
        return render(request, self.template, {
            "figures": figures, "states": states, "bar": filter_bar(shown, fields=FIELDS, nights=completed_nights()),
            "csv_query": shown.querystring(format="csv"), "chart": chart_data(states),
        })
