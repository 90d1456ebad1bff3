"""The ICP review page's "Handoffs by ICP tier" (docs/rules.md §8, "Handoff feedback"), for the people who read the
handoff feedback (marketing, managers, admins, executives): of the profile's handoffs created in the chosen period,
per tier the acceptance rate, the count and the top rejection reason, and one sentence ("Handoffs from tier A
accepted 82 %, tier C 41 %; top reason: Not our ideal customer"), linking to the feedback page for the same period.

The figures are handoffs.selectors.handoff_feedback's, grouped by tier only (a fixed number of queries)."""

from __future__ import annotations

from django.utils.http import urlencode
from django.utils.translation import gettext as _

from core.permissions import has_role
from handoffs.feedback_views import (
    FEEDBACK_ROLES, feedback_row, percent, period_errors, period_form, tier_label,
)
from handoffs.selectors import handoff_feedback

from ..models import IcpProfile


def _rate_text(pct: float) -> str:
    return f"{pct:g}"  # 82.0 → "82", 66.7 → "66.7"


def tier_sentence(data: dict) -> str | None:
    """One sentence for the tiers that have decided handoffs, in tier order, with the profile's top reason."""
    rated = [(group["key"], percent(group["acceptance_rate"])) for group in data["by_icp_tier"]
             if group["key"] and group["acceptance_rate"] is not None]
    if not rated:
        return None
    (tier, pct), rest = rated[0], rated[1:]
    parts = [_("Handoffs from tier %(tier)s accepted %(rate)s %%") % {"tier": tier, "rate": _rate_text(pct)}]
    parts += [_("tier %(tier)s %(rate)s %%") % {"tier": t, "rate": _rate_text(p)} for t, p in rest]
    rates = ", ".join(parts)
    top = feedback_row("", data["overall"]).top_reason
    return _("%(rates)s; top reason: %(reason)s") % {"rates": rates, "reason": top} if top else rates


def handoffs_by_tier(*, user, profile: IcpProfile, params) -> dict | None:
    """The block's context, or None for a role that does not read the handoff feedback. A bad period gives its
    errors (naming the field) and no figures."""
    if not has_role(user, FEEDBACK_ROLES):
        return None
    form = period_form(params)
    if not form.is_valid():
        return {"form": form, "errors": period_errors(form), "rows": None}
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    data = handoff_feedback(start=start, end=end, icp_profile_id=profile.pk, dimensions=("icp_tier",))
    return {
        "form": form, "errors": [], "start": start, "end": end, "handoffs": data["overall"]["handoffs"],
        "rows": [feedback_row(tier_label(group["key"]), group) for group in data["by_icp_tier"]],
        "summary": tier_sentence(data), "period": urlencode({"from": start.isoformat(), "to": end.isoformat()}),
    }
