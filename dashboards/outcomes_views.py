"""Does coverage pay? The outcomes page (accounts that met the standard against those that did not) and the
workload page (touches the standard asks for against the people of each role) — docs/rules.md §10. Every table
also as CSV (`?format=csv&table=…`, UTF-8 with a byte order mark, for Excel)."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from core.choices import Role
from core.permissions import EVERYONE, RoleRequiredMixin

from . import outcomes as oc
from . import workload as wl
from .views import bad_request, csv_response

ROLE_LABELS = dict(Role.choices)
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


def outcome_tables(found: dict) -> dict:
    """Each cohort's table, overall then by tier: the page's rows and the CSV's, with the same labels."""
    tables = {}
    for cohort in oc.COHORTS:
        header = [_("ICP tier"), _("Met: accounts"), _("Met: outcome"), _("Met: rate (%)"), _("Met: 95% interval (%)"),
                  _("Not met: accounts"), _("Not met: outcome"), _("Not met: rate (%)"),
                  _("Not met: 95% interval (%)")]
        if cohort == "negotiation":
            header += [_("Still negotiating (met)"), _("Still negotiating (not met)")]
        header.append(_("Verdict"))
        rows = []
        parts = [("", found[cohort]["overall"]), *found[cohort]["by_tier"].items()]
        for tier, c in parts:
            row = [tier_label(tier), c.met.n, c.met.hits, _pct(c.met.rate), _interval(c.met),
                   c.not_met.n, c.not_met.hits, _pct(c.not_met.rate), _interval(c.not_met)]
            if cohort == "negotiation":
                row += [c.open_met, c.open_not_met]
            rows.append([*row, verdict_text(cohort, c.verdict)])
        tables[cohort] = (header, rows)
    return tables


class OutcomesPage(RoleRequiredMixin, View):
    """The period (`from`, `to`; the 180 days to today by default) and ICP tier (`tier`) in the URL; the reader's
    team's accounts for reps, every account for managers, admins and executives."""

    allowed_roles = EVERYONE

    def get(self, request):
        exporting = request.GET.get("format") == "csv"
        try:
            start, end = oc.period(request.GET.get("from"), request.GET.get("to"))
            tier = oc.tier_filter(request.GET.get("tier"))
        except oc.OutcomeError as refused:
            message = f"{_label(refused.field)}: {refused.message}"
            if exporting:
                return bad_request(message)
            return render(request, "dashboards/outcomes.html", {"error": message, **_raw(request)}, status=400)
        table = request.GET.get("table", "")
        if exporting and table not in oc.COHORTS:
            return bad_request(_("Table: choose one of %(tables)s.") % {"tables": ", ".join(oc.COHORTS)})
        people = oc.scope_people(request.user)
        tables = outcome_tables(oc.outcomes(start=start, end=end, people=people, tier=tier))
        if exporting:
            return csv_response(f"outcomes-{table}-{start}-{end}.csv", *tables[table])
        return render(request, "dashboards/outcomes.html", {
            "start": start, "end": end, "tier": tier, "team_only": people is not None, "min_sample": oc.MIN_SAMPLE,
            "raw_from": start.isoformat(), "raw_to": end.isoformat(),
            "tiers": [(t, tier_label(t)) for t in oc.TIERS],
            "tables": [{"name": name, "title": COHORT_TITLES[name], "help": COHORT_HELP[name],
                        "header": tables[name][0], "rows": tables[name][1],
                        "empty": not any(row[1] or row[5] for row in tables[name][1])} for name in oc.COHORTS],
        })


def _label(field: str) -> str:
    return {"from": _("From"), "to": _("To"), "tier": _("ICP tier"), "per_day": _("Touches per person per day"),
            "owner": _("Owner"), "team": _("Team")}.get(field, field)


def _raw(request) -> dict:
    return {name: request.GET.get(key, "") for name, key in (("raw_from", "from"), ("raw_to", "to"), ("tier", "tier"),
                                                             ("raw_per_day", "per_day"), ("owner", "owner"),
                                                             ("team", "team"))}


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


class WorkloadPage(RoleRequiredMixin, View):
    """Touches per person per day (`per_day`, 8 by default), a team (`team`) and one owner (`owner`, a username)
    in the URL; reps see their team's accounts, managers, admins and executives every account."""

    allowed_roles = EVERYONE

    def get(self, request):
        exporting = request.GET.get("format") == "csv"
        try:
            per_day = wl.per_day_filter(request.GET.get("per_day"))
            people = wl.people_filter(request.user, owner=request.GET.get("owner", "").strip(),
                                      team=request.GET.get("team", "").strip())
        except wl.WorkloadError as refused:
            message = f"{_label(refused.field)}: {refused.message}"
            if exporting:
                return bad_request(message)
            return render(request, "dashboards/workload.html", {"error": message, **_raw(request)}, status=400)
        table = request.GET.get("table", "")
        if exporting and table not in ("roles", "owners"):
            return bad_request(_("Table: choose one of %(tables)s.") % {"tables": "roles, owners"})
        found = wl.workload(per_day=per_day, people=people)
        tables = workload_tables(found)
        if exporting:
            return csv_response(f"workload-{table}-{found['as_of']}.csv", *tables[table])
        return render(request, "dashboards/workload.html", {
            **_raw(request), "found": found, "raw_per_day": per_day, "team_only": oc.scope_people(request.user) is not None,
            "roles_header": tables["roles"][0], "roles": list(zip(found["roles"], tables["roles"][1])),
            "owners_header": tables["owners"][0], "owners": list(zip(found["owners"], tables["owners"][1])),
            "empty": not any(r.accounts for r in found["roles"]),
        })
