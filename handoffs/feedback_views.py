"""The handoff feedback page (docs/rules.md §8, "Handoff feedback"): for managers, admins and marketing (executives
read), the figures of the handoffs created in a period — overall and one table per grouping, each table as CSV.

The figures come from handoffs.selectors.handoff_feedback (a fixed number of queries, whatever the number of
handoffs); this module only names what the page shows: reasons by their labels, tiers as "Tier A", no codes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from core.csvio import BOM, stream_csv
from core.permissions import RoleRequiredMixin
from core.timeutil import business_today

from .access import FEEDBACK_ROLES
from .models import Handoff
from .selectors import FEEDBACK_DIMENSIONS, handoff_feedback

DEFAULT_DAYS = 90  # the period without from/to: the 90 days to today

TITLES = {
    "rule": gettext_lazy("By rule"), "sender": gettext_lazy("By sender"), "receiver": gettext_lazy("By receiver"),
    "icp_profile": gettext_lazy("By ICP profile"), "icp_tier": gettext_lazy("By ICP tier"),
    "lead_source": gettext_lazy("By lead source"),
}
KEY_HEADERS = {
    "rule": gettext_lazy("Rule"), "sender": gettext_lazy("Sender"), "receiver": gettext_lazy("Receiver"),
    "icp_profile": gettext_lazy("ICP profile"), "icp_tier": gettext_lazy("ICP tier"),
    "lead_source": gettext_lazy("Lead source"),
}
NO_KEY = {
    "rule": gettext_lazy("No rule"), "sender": gettext_lazy("No sender"), "receiver": gettext_lazy("Nobody yet"),
    "icp_profile": gettext_lazy("No ICP profile"), "icp_tier": gettext_lazy("No tier"),
    "lead_source": gettext_lazy("No lead source"),
}
REASON_LABELS = dict(Handoff.RejectReason.choices)


class PeriodForm(forms.Form):
    """The period of the figures: handoffs created from `start` to `end`, both included (in the URL: from, to)."""

    start = forms.DateField(label=gettext_lazy("From"))
    end = forms.DateField(label=gettext_lazy("To"))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError(_("The period must start on or before its end (From ≤ To)."))
        return data


def period_form(params, *, days: int = DEFAULT_DAYS) -> PeriodForm:
    """The period asked for in the URL (`from`, `to`, ISO dates), each defaulting to the `days` days to today."""
    today = business_today()
    start = params.get("from") or (today - dt.timedelta(days=days - 1)).isoformat()
    form = PeriodForm({"start": start, "end": params.get("to") or today.isoformat()})
    form.is_valid()
    return form


def period_errors(form: PeriodForm) -> list[str]:
    """The form's errors, each naming its field ("From: Enter a valid date.")."""
    return [f"{form.fields[name].label}: {error}" if name in form.fields else str(error)
            for name, errors in form.errors.items() for error in errors]


def tier_label(tier: str | None) -> str:
    return _("Tier %(tier)s") % {"tier": tier} if tier else str(NO_KEY["icp_tier"])


def key_label(dimension: str, key: str | None) -> str:
    """A group's name as the page shows it: the rule's, person's, profile's or source's name, "Tier A"."""
    if dimension == "icp_tier":
        return tier_label(key)
    return str(key) if key is not None else str(NO_KEY[dimension])


def percent(rate: float | None) -> float | None:
    return round(rate * 100, 1) if rate is not None else None


@dataclass
class FeedbackRow:
    """One line of a feedback table, ready to show: percentages, hours, reasons by label, most frequent first."""

    label: str
    figures: dict
    acceptance_pct: float | None = None
    breached_pct: float | None = None
    reasons: list[tuple[str, int]] = field(default_factory=list)

    @property
    def top_reason(self) -> str | None:
        return self.reasons[0][0] if self.reasons else None


def feedback_row(label: str, figures: dict) -> FeedbackRow:
    counts = figures["rejection_reasons"]
    order = list(Handoff.RejectReason.values)
    reasons = sorted((code for code, n in counts.items() if n), key=lambda code: (-counts[code], order.index(code)))
    return FeedbackRow(label=label, figures=figures, acceptance_pct=percent(figures["acceptance_rate"]),
                       breached_pct=percent(figures["breached_share"]),
                       reasons=[(str(REASON_LABELS[code]), counts[code]) for code in reasons])


def feedback_tables(data: dict) -> list[dict]:
    """One table per grouping, in the order of FEEDBACK_DIMENSIONS."""
    return [{"dimension": name, "title": TITLES[name], "key_header": KEY_HEADERS[name],
             "rows": [feedback_row(key_label(name, group["key"]), group) for group in data[f"by_{name}"]]}
            for name in FEEDBACK_DIMENSIONS if f"by_{name}" in data]


class FeedbackView(RoleRequiredMixin, View):
    """The figures of the chosen period: overall, then by rule, sender, receiver, ICP profile, ICP tier, lead source.
    A bad date or a period that ends before it starts is refused with a message naming the field (400)."""

    allowed_roles = FEEDBACK_ROLES

    def get(self, request):
        form = period_form(request.GET)
        context = {"form": form, "overall": None, "tables": []}
        if not form.is_valid():
            return render(request, "handoffs/feedback.html", context, status=400)
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        data = handoff_feedback(start=start, end=end)
        context.update(overall=feedback_row(_("All handoffs"), data["overall"]), tables=feedback_tables(data),
                       start=start, end=end)
        return render(request, "handoffs/feedback.html", context)


def csv_header(dimension: str) -> list[str]:
    return [str(KEY_HEADERS[dimension]), _("Handoffs"), _("Accepted"), _("Rejected"), _("Pending"), _("Superseded"),
            _("Acceptance rate (%)"), _("Median business hours to decision"), _("Breached"),
            _("Breached share (%)"), *(str(label) for label in REASON_LABELS.values())]


def csv_rows(table: dict):
    for row in table["rows"]:
        f = row.figures
        yield [row.label, f["handoffs"], f["accepted"], f["rejected"], f["pending"], f["superseded"],
               row.acceptance_pct, f["median_business_hours_to_decision"], f["breached"], row.breached_pct,
               *(f["rejection_reasons"][code] for code in REASON_LABELS)]


class FeedbackExportView(RoleRequiredMixin, View):
    """One table of the page as CSV (UTF-8 with a byte order mark, for Excel), for the same period."""

    allowed_roles = FEEDBACK_ROLES

    def get(self, request, dimension: str):
        if dimension not in FEEDBACK_DIMENSIONS:
            raise Http404("no such grouping")
        form = period_form(request.GET)
        if not form.is_valid():
            return HttpResponse("\n".join(period_errors(form)), status=400, content_type="text/plain; charset=utf-8")
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        data = handoff_feedback(start=start, end=end, dimensions=(dimension,))
        table = feedback_tables(data)[0]
        response = HttpResponse(BOM + "".join(stream_csv(csv_header(dimension), csv_rows(table))),
                                content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="handoff-feedback-{dimension.replace("_", "-")}-{start}-{end}.csv"')
        return response
