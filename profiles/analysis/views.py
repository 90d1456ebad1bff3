"""ICP analysis pages (issue #5): review a profile, explain an account's fit, learn from the best customers,
validate tiers against outcomes, breadth of A/B targets.

Review, learning and breadth read the precomputed snapshots (ProfileAnalysis, one row each) through
profiles.selectors: at a million accounts the live scans take seconds, so they run only in the background
refresh (nightly, after rescoring, or from the "Refresh figures" button). The explanation of one account and
the validation of two versions stay live.

Everyone signed in reads; marketing, managers and admins may create a draft profile and refresh the figures.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.models import Account
from core.choices import State
from core.permissions import EVERYONE, RoleRequiredMixin, has_role
from core.timeutil import business_today
from dashboards.selectors import latest_run_as_of

from ..models import AnalysisRefresh, IcpProfile, IcpProfileVersion, ProfileAnalysis
from ..scoring import version_spec
from ..selectors import (
    StoredAnalysis, analysis_refresh_latest, analysis_snapshot, stored_breadth, stored_learning, stored_review,
)
from ..services import analysis_refresh_queue, profile_draft_save
from ..views import EDITORS
from . import domain
from . import selectors as sel
from .handoff_tiers import handoffs_by_tier

OP_LABELS = {
    "eq": "=", "ne": "≠", "in": gettext_lazy("is one of"), "not_in": gettext_lazy("is none of"), "gt": ">", "gte": "≥",
    "lt": "<", "lte": "≤", "between": gettext_lazy("between"), "is_true": gettext_lazy("is yes"),
    "is_false": gettext_lazy("is no"), "contains": gettext_lazy("includes"), "contains_any": gettext_lazy("includes any of"),
}


def attribute_label(attribute: str) -> str:
    try:
        return capfirst(str(Account._meta.get_field(attribute).verbose_name))
    except FieldDoesNotExist:  # an attribute that is not a column: show its code
        return attribute


def _value_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (list, tuple)):
        return ", ".join(_value_text(v) for v in value)
    return str(value)


def describe(criterion) -> str:
    """A criterion as a reader says it: "Employees between 300, 4999"."""
    attribute, op = (criterion["attribute"], criterion["op"]) if isinstance(criterion, dict) else (
        criterion.attribute, criterion.op)
    value = criterion.get("value") if isinstance(criterion, dict) else criterion.value
    if op == "between" and isinstance(value, (list, tuple)) and len(value) == 2:
        text = f"{_value_text(value[0])} – {_value_text(value[1])}"
    else:
        text = _value_text(value) if op not in ("is_true", "is_false") else ""
    return " ".join(p for p in (attribute_label(attribute), str(OP_LABELS.get(op, op)), text) if p)


def _profile_and_version(pk: int, number: str | None) -> tuple[IcpProfile, IcpProfileVersion | None]:
    profile = get_object_or_404(IcpProfile.objects.select_related("current_version"), pk=pk)
    version = profile.current_version
    if number and str(number).isdigit():
        version = profile.versions.filter(number=int(number)).first() or version
    return profile, version


def _versions(profile: IcpProfile) -> list[int]:
    return list(profile.versions.order_by("-number").values_list("number", flat=True))


def _snapshot_context(request, stored: StoredAnalysis, *, version: IcpProfileVersion | None = None) -> dict:
    """What the figures' header needs: when they are from, the refresh under way, and the button for editors."""
    return {"stored": stored, "can_refresh": has_role(request.user, EDITORS),
            "refresh_version": version.id if version is not None else "", "next": request.get_full_path()}


class ReviewView(RoleRequiredMixin, View):
    """Fit histogram, tier counts, hit rate per criterion, top and bottom accounts (stored), and an account search;
    for the readers of the handoff feedback, the profile's handoffs by tier in a period (from/to)."""

    allowed_roles = EVERYONE

    def get(self, request, pk: int):
        profile, version = _profile_and_version(pk, request.GET.get("version"))
        spec = version_spec(profile, version)
        query = request.GET.get("q", "").strip()[:100]
        stored = stored_review(profile=profile, version=version)
        review = stored.figures
        older = version is not None and version.id != profile.current_version_id
        return render(request, "profiles/analysis/review.html", {
            "profile": profile, "version": version, "versions": _versions(profile), "spec": spec, "review": review,
            "hits": [(h, describe(h.criterion)) for h in review.hits] if review else [], "query": query,
            "found": sel.account_search(query),
            # An older version is computed only when asked for: the button names it.
            **_snapshot_context(request, stored, version=version if older else None),
            "handoff_tiers": handoffs_by_tier(user=request.user, profile=profile, params=request.GET),
        })


class ExplainView(RoleRequiredMixin, View):
    """For one account: the points it got and missed on each criterion of the profile."""

    allowed_roles = EVERYONE

    def get(self, request, pk: int, account_pk: int):
        profile, version = _profile_and_version(pk, request.GET.get("version"))
        account = get_object_or_404(Account.objects.select_related("icp_profile"), pk=account_pk)
        spec = version_spec(profile, version)
        explanation = sel.account_explanation(account, spec)
        return render(request, "profiles/analysis/explain.html", {
            "profile": profile, "version": version, "versions": _versions(profile), "account": account,
            "explanation": explanation,
            "rows": [(r, describe(r.criterion), _value_text(r.account_value).strip()) for r in explanation.rows],
            "missed": explanation.total - explanation.got, "tiers": spec.tiers,
        })


class LearnForm(forms.Form):
    loyal = forms.BooleanField(label=gettext_lazy("Loyal customers"), required=False, initial=True)
    active = forms.BooleanField(label=gettext_lazy("Active customers with repeat wins"), required=False, initial=True)
    # The stored counts group won deals 1 … MAX_REPEAT_WINS (the last meaning "or more").
    min_wins = forms.IntegerField(label=gettext_lazy("Won deals at least"), min_value=1,
                                  max_value=domain.MAX_REPEAT_WINS, initial=2)
    min_sample = forms.IntegerField(label=gettext_lazy("Minimum sample"), min_value=1, max_value=100000,
                                    initial=domain.MIN_SAMPLE)

    def clean(self):
        data = super().clean()
        if not data.get("loyal") and not data.get("active"):
            raise ValidationError(_("Choose at least one group of best customers."))
        return data


def _learn_form(data) -> LearnForm:
    if not any(key in data for key in ("min_wins", "min_sample")):
        data = {"loyal": True, "active": True, "min_wins": 2, "min_sample": domain.MIN_SAMPLE}
    return LearnForm(data)


def _learning(form: LearnForm | None) -> StoredAnalysis:
    """The stored counts for the form's choice of best customers (no figures for an invalid form)."""
    if form is None or not form.is_valid():
        return StoredAnalysis(figures=None, snapshot=analysis_snapshot(kind=ProfileAnalysis.Kind.LEARN),
                              refresh=analysis_refresh_latest())
    data = form.cleaned_data
    return stored_learning(loyal=data["loyal"], active_min_wins=data["min_wins"] if data["active"] else None,
                           min_sample=data["min_sample"])


class LearnView(RoleRequiredMixin, View):
    """Best customers vs all targets, attribute by attribute (stored counts); suggested criteria; a draft profile."""

    allowed_roles = EVERYONE
    write_roles = EDITORS  # saving the draft profile

    def get(self, request):
        form = _learn_form(request.GET)
        return self._render(request, form, _learning(form))

    def post(self, request):
        form = _learn_form(request.POST)
        if not form.is_valid():
            return self._render(request, form, _learning(None), status=400)
        # The suggestion is rebuilt from the stored counts for the chosen group, never taken from the posted page.
        stored = _learning(form)
        learning = stored.figures
        if learning is None:
            messages.error(request, _("The figures have not been computed yet: refresh them first."))
            return self._render(request, form, stored, status=400)
        criteria = domain.suggested_criteria(learning.suggestions)
        name = (request.POST.get("name") or "").strip()[:200] or _("Draft from best customers %(date)s") % {
            "date": business_today().isoformat()}
        error = None
        if not criteria:
            error = _("Nothing to suggest: no value is both frequent enough and over-represented among the best customers.")
        elif IcpProfile.objects.filter(name=name).exists():
            error = _("A profile named “%(name)s” already exists; choose another name.") % {"name": name}
        if error:
            messages.error(request, error)
            return self._render(request, form, stored, status=400, name=name)
        data = form.cleaned_data
        group = [_("loyal")] if data["loyal"] else []
        if data["active"]:
            group.append(_("active with ≥ %(n)d won deals") % {"n": data["min_wins"]})
        # The draft's review is computed in the background too (its page shows the progress meanwhile).
        version = profile_draft_save(
            name=name, criteria=criteria, actor=request.user,
            description=_("Suggested from the best customers (%(group)s) against all target accounts.") % {
                "group": ", ".join(group)},
            comment=_("Draft from the best-customer analysis, minimum sample %(n)d") % {"n": data["min_sample"]},
        )
        messages.success(request, _("Draft profile “%(name)s” created (inactive).") % {"name": name})
        return redirect("profiles:review", pk=version.profile_id)

    def _render(self, request, form, stored: StoredAnalysis, *, status: int = 200, name: str = ""):
        learning = stored.figures
        rows_by_attribute: dict[str, list] = {}
        for row in learning.rows if learning else []:
            rows_by_attribute.setdefault(attribute_label(row.attribute), []).append(row)
        return render(request, "profiles/analysis/learn.html", {
            "form": form, "learning": learning, "rows_by_attribute": rows_by_attribute,
            "suggestions": [(s, describe(s.criterion)) for s in learning.suggestions] if learning else [],
            "can_edit": has_role(request.user, EDITORS), "name": name,
            "min_lift": float(domain.SUGGEST_MIN_LIFT), **_snapshot_context(request, stored),
        }, status=status)


class ValidateForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"))
    end = forms.DateField(label=gettext_lazy("To"))
    old = forms.IntegerField(label=gettext_lazy("Version"), min_value=1)
    new = forms.IntegerField(label=gettext_lazy("compared with version"), min_value=1)
    min_sample = forms.IntegerField(label=gettext_lazy("Minimum sample"), min_value=1, max_value=100000)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError(_("The period must start before it ends."))
        return data


class ValidateView(RoleRequiredMixin, View):
    """How well two versions' tiers separated won from lost deals and kept from churned customers."""

    allowed_roles = EVERYONE

    def get(self, request, pk: int):
        profile = get_object_or_404(IcpProfile.objects.select_related("current_version"), pk=pk)
        numbers = _versions(profile)
        end = latest_run_as_of() or business_today()
        defaults = {"start": (end - dt.timedelta(days=364)).isoformat(), "end": end.isoformat(),
                    "new": numbers[0] if numbers else 1, "old": numbers[1] if len(numbers) > 1 else (numbers[0] if numbers else 1),
                    "min_sample": domain.MIN_SAMPLE}
        form = ValidateForm({**defaults, **{k: v for k, v in request.GET.items() if k in defaults and v}})
        outcomes = []
        if form.is_valid():
            data = form.cleaned_data
            versions = {v.number: v for v in profile.versions.filter(number__in=[data["old"], data["new"]])}
            chosen = []
            for number in dict.fromkeys([data["old"], data["new"]]):
                version = versions.get(number)
                if version is None:
                    form.add_error(None, _("Version %(n)d does not exist.") % {"n": number})
                    continue
                chosen.append(version)
            if chosen:  # both versions in the same two queries
                results = sel.outcomes_by_tier_of_versions(
                    [(f"v{v.number}", version_spec(profile, v)) for v in chosen],
                    start=data["start"], end=data["end"], min_sample=data["min_sample"])
                outcomes = list(zip(chosen, results))
        return render(request, "profiles/analysis/validate.html", {
            "profile": profile, "form": form, "outcomes": outcomes, "versions": numbers,
        })


class BreadthView(RoleRequiredMixin, View):
    """Share of tier A/B target accounts touched in the last 30 and 90 days, by state, industry and region (stored)."""

    allowed_roles = EVERYONE

    def get(self, request):
        names = dict(State.choices)
        stored = stored_breadth()
        breadth = stored.figures
        return render(request, "profiles/analysis/breadth.html", {
            "breadth": breadth, "state_rows": [(names.get(r.key, r.key), r) for r in breadth.by_state] if breadth else [],
            **_snapshot_context(request, stored),
        })


class AnalysisRefreshView(RoleRequiredMixin, View):
    """POST: recompute the stored figures in the background (marketing, managers, admins), then back to the page.

    ``version`` (an id) asks for an older version's review as well; repeated clicks reuse the refresh that is
    pending or running, so they cost one pass.
    """

    allowed_roles = EDITORS

    def post(self, request):
        version = None
        raw = (request.POST.get("version") or "").strip()
        if raw:
            if not raw.isdigit():
                raise Http404("no such version")
            version = get_object_or_404(IcpProfileVersion.objects.select_related("profile"), pk=int(raw))
            if version.profile.current_version_id == version.id:  # every refresh computes the current versions
                version = None
        analysis_refresh_queue(actor=request.user, reason="button", version=version, reuse_running=True)
        messages.info(request, _("The figures are being recomputed in the background."))
        target = request.POST.get("next") or ""
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            target = reverse("profiles:list")
        return redirect(target)


class AnalysisRefreshStatusView(RoleRequiredMixin, View):
    """One refresh's progress: the partial the pages poll with htmx; when it has succeeded, htmx reloads the page
    so the new figures show."""

    allowed_roles = EVERYONE

    def get(self, request, pk: int):
        refresh = get_object_or_404(AnalysisRefresh.objects.select_related("created_by"), pk=pk)
        if not request.htmx:
            return render(request, "profiles/analysis/refresh.html", {"refresh": refresh})
        response = render(request, "profiles/analysis/_refresh_status.html", {"refresh": refresh})
        if refresh.status == AnalysisRefresh.Status.SUCCEEDED:
            response["HX-Refresh"] = "true"
        return response
