"""Does coverage pay? The outcomes page (accounts that met the standard against those that did not) and the
workload page (touches the standard asks for against the people of each role) — docs/rules.md §10. Both read the
kept rows of the latest night (dashboards.outcomes, dashboards.workload) through the dashboards' one filter
(dashboards.filtering: team, owner, state, industry, region, ICP tier, the period or the night; a rep's own and
team's accounts). Every table also as CSV (`?format=csv&table=…`, UTF-8 with a byte order mark, for Excel); every
row links to the accounts list with the same filter."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from core.choices import Role
from core.permissions import EVERYONE, RoleRequiredMixin

from . import outcomes as oc
from . import workload as wl
from .depth import completed_nights
from .filtering import DashboardFilters, FilterError, csv_response, filter_bar, parse_filters
from .funnel import completed_night
from .views import bad_request, refusal_page

ROLE_LABELS = dict(Role.choices)
OUTCOME_FIELDS = ("period", "team", "owner", "state", "industry", "region", "icp_tier")
WORKLOAD_FIELDS = ("as_of", "team", "owner", "state", "industry", "region", "icp_tier")
COHORT_TITLES = {
    "negotiation": gettext_lazy("Negotiations: win rate"),
    "customers": gettext_lazy("Customers: churn rate"),
    "leads": gettext_lazy("Leads: conversion to a deal"),
}
COHORT_HELP = {
    "negotiation": gettext_lazy("Entries into negotiation in the period. Won: the next state is a customer state; "
                                "lost: any other state. Entries still in negotiation are not in the rate."),
    "customers": gettext_lazy("Customers (onboarding, active, loyal) on the period's first day; the rate is those "
                              "that churned within the period."),
    "leads": gettext_lazy("Leads (hot, high-potential, lead) on the period's first day; the rate is those that "
                          "reached negotiation or became customers within the period."),
}
VERDICTS = {
    ("negotiation", "met_better"): gettext_lazy("Covered accounts win more often."),
    ("negotiation", "met_worse"): gettext_lazy("Covered accounts win less often."),
    ("customers", "met_better"): gettext_lazy("Covered customers churn less often."),
    ("customers", "met_worse"): gettext_lazy("Covered customers churn more often."),
    ("leads", "met_better"): gettext_lazy("Covered leads convert more often."),
    ("leads", "met_worse"): gettext_lazy("Covered leads convert less often."),
}


def field_label(name: str) -> str:
    return {"from": _("From"), "to": _("To"), "icp_tier": _("ICP tier"), "tier": _("ICP tier"),
            "per_day": _("Touches per person per day"), "owner": _("Owner"), "team": _("Team"), "state": _("State"),
            "industry": _("Industry"), "region": _("Region"), "as_of": _("Night of")}.get(name, name)


def refusal_lines(refused: FilterError) -> list[str]:
    """"Label: message" per refused parameter, in the reader's language."""
    return [f"{field_label(name)}: {' '.join(messages)}" for name, messages in refused.errors.items()]


def refused_page(request, template: str, refused: FilterError, fields, exporting: bool, **extra):
    return refusal_page(request, template, refusal_lines(refused), fields, exporting=exporting, **extra)


def tier_label(tier: str) -> str:
    if tier == "none":
        return _("No tier")
    return _("All tiers") if not tier else _("Tier %(tier)s") % {"tier": tier}


def verdict_text(cohort: str, verdict: str) -> str:
    if verdict == "too_few":
        return _("Too few accounts to judge (fewer than %(n)s on a side).") % {"n": oc.MIN_SAMPLE}
    if verdict == "no_difference":
        return _("No clear difference: the intervals overlap.")
    return str(VERDICTS[cohort, verdict])


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _interval(side) -> str:
    return "" if side.low is None else f"{_pct(side.low)}–{_pct(side.high)}"


def outcome_tables(found: oc.OutcomeFigures, f: DashboardFilters) -> dict:
    """Each cohort's table, overall then by tier: (header, rows, drill-down links) — the page's and the CSV's rows,
    with the same labels. The link of a row is the accounts list with the same filter and the row's tier."""
    tables = {}
    for cohort, figures in found.cohorts.items():
        header = [_("ICP tier"), _("Met: accounts"), _("Met: outcome"), _("Met: rate (%)"), _("Met: 95% interval (%)"),
                  _("Not met: accounts"), _("Not met: outcome"), _("Not met: rate (%)"),
                  _("Not met: 95% interval (%)")]
        if cohort == "negotiation":
            header += [_("Still negotiating (met)"), _("Still negotiating (not met)")]
        header.append(_("Verdict"))
        rows, links = [], []
        for tier, c in [("", figures["overall"]), *figures["by_tier"].items()]:
            row = [tier_label(tier), c.met.n, c.met.hits, _pct(c.met.rate), _interval(c.met),
                   c.not_met.n, c.not_met.hits, _pct(c.not_met.rate), _interval(c.not_met)]
            if cohort == "negotiation":
                row += [c.open_met, c.open_not_met]
            rows.append([*row, verdict_text(cohort, c.verdict)])
            links.append("" if tier == "none" else f.accounts_link(icp_tier=tier or f.icp_tier))
        tables[cohort] = (header, rows, links)
    return tables


class OutcomesPage(RoleRequiredMixin, View):
    """The period (`from`, `to`; the 180 days to the latest night by default) and the filters in the URL; a rep's own
    and team's accounts, every account for managers, admins and executives."""

    allowed_roles = EVERYONE
    template = "dashboards/outcomes.html"

    def get(self, request):
        exporting = request.GET.get("format") == "csv"
        try:
            f = parse_filters(request.GET, request.user)
            found = oc.outcome_figures(f)
        except FilterError as refused:
            return refused_page(request, self.template, refused, OUTCOME_FIELDS, exporting)
        tables = outcome_tables(found, f)
        table = request.GET.get("table", "")
        if exporting:
            if table not in tables:
                return bad_request(_("Table: choose one of %(tables)s.") % {"tables": ", ".join(tables) or "-"})
            return csv_response(f"outcomes-{table}-{found.start}-{found.end}.csv", *tables[table][:2])
        shown = f.narrowed(date_from=found.start, date_to=found.end)
        return render(request, self.template, {
            "found": found, "min_sample": oc.MIN_SAMPLE, "bar": filter_bar(shown, fields=OUTCOME_FIELDS),
            "export_query": shown.querystring(format="csv"),
            "tables": [{"name": name, "title": COHORT_TITLES[name], "help": COHORT_HELP[name],
                        "header": header, "rows": list(zip(rows, links)),
                        "empty": not any(row[1] or row[5] for row in rows)}
                       for name, (header, rows, links) in tables.items()],
        })


def owner_verdict(owner: wl.OwnerLoad, per_person: int) -> str:
    if owner.owner_id is None:
        return _("Nobody owns these accounts")
    if not owner.active:
        return _("The owner is no longer active")
    return _("Over capacity") if owner.touches > per_person else _("Within capacity")


def workload_tables(found: dict) -> dict:
    per_person = found["per_person_capacity"]
    roles = [[ROLE_LABELS.get(r.role, r.role), r.accounts, r.touches, r.people, r.per_person, r.capacity,
              _("Cannot be met with today's staff") if r.over else _("Can be met")] for r in found["roles"]]
    owners = [[ROLE_LABELS.get(o.role, o.role), o.name or _("No owner"), o.team, o.accounts, o.touches, per_person,
               owner_verdict(o, per_person)] for o in found["owners"]]
    return {
        "roles": ([_("Responsible role"), _("Accounts"), _("Touches in the next 30 days"), _("Active people"),
                   _("Touches per person"), _("Capacity"), _("Standard")], roles),
        "owners": ([_("Responsible role"), _("Owner"), _("Team"), _("Accounts"), _("Touches in the next 30 days"),
                    _("Capacity per person"), _("Standard")], owners),
    }


def read_workload(request) -> tuple[DashboardFilters, dict]:
    """The filter, the night and `per_day` of a request, and the figures (FilterError names a bad parameter)."""
    f = parse_filters(request.GET, request.user)
    per_day = wl.per_day_filter(request.GET.get("per_day"))
    night = completed_night(f.as_of)
    return f, wl.workload(f, night=night, per_day=per_day)


class WorkloadPage(RoleRequiredMixin, View):
    """Touches per person per day (`per_day`, 8 by default), the night (`as_of`, the latest by default) and the
    filters in the URL; a rep's own and team's accounts, managers, admins and executives every account."""

    allowed_roles = EVERYONE
    template = "dashboards/workload.html"

    def get(self, request):
        exporting = request.GET.get("format") == "csv"
        try:
            f, found = read_workload(request)
        except FilterError as refused:
            return refused_page(request, self.template, refused, WORKLOAD_FIELDS, exporting,
                                raw_per_day=request.GET.get("per_day", "")[:20])
        tables = workload_tables(found)
        table = request.GET.get("table", "")
        if exporting:
            if table not in tables:
                return bad_request(_("Table: choose one of %(tables)s.") % {"tables": "roles, owners"})
            return csv_response(f"workload-{table}-{found['as_of']}.csv", *tables[table])
        # The accounts with requirements of the role, owned (in that role) as the filter says (accounts/filtersets).
        role_links = [f.accounts_link(responsible_role=r.role) for r in found["roles"]]
        owner_links = [f.accounts_link(responsible_role=o.role, owner=o.owner_id) if o.owner_id else ""
                       for o in found["owners"]]
        return render(request, self.template, {
            "found": found, "raw_per_day": found["per_day"], "team_only": not f.scope.everyone,
            "bar": filter_bar(f, fields=WORKLOAD_FIELDS, nights=completed_nights()),
            "export_query": f.querystring(per_day=found["per_day"], format="csv"),
            "roles_header": tables["roles"][0], "roles": list(zip(found["roles"], tables["roles"][1], role_links)),
            "owners_header": tables["owners"][0],
            "owners": list(zip(found["owners"], tables["owners"][1], owner_links)),
            "empty": not any(r.accounts for r in found["roles"]),
        })
