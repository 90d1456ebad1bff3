"""ICP analysis pages (issue #5): review a profile, explain an account's fit, learn from the best customers,
validate tiers against outcomes, breadth of A/B targets. Thin adapters over analysis_selectors.

Everyone signed in reads; only marketing, managers and admins may create a draft profile (the one write).
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.models import Account
from core.choices import Role, State
from core.permissions import EVERYONE, RoleRequiredMixin, has_role
from core.timeutil import business_today
from dashboards.selectors import latest_run_as_of

from . import analysis
from . import analysis_selectors as sel
from .models import IcpProfile, IcpProfileVersion
from .services import profile_save

EDITORS = (Role.MARKETING, Role.MANAGER, Role.ADMIN)

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


class ReviewView(RoleRequiredMixin, View):
    """Fit histogram, tier counts, hit rate per criterion, top and bottom accounts, and an account search."""

    allowed_roles = EVERYONE

    def get(self, request, pk: int):
        profile, version = _profile_and_version(pk, request.GET.get("version"))
        spec = sel.version_spec(profile, version)
        query = request.GET.get("q", "").strip()[:100]
        review = sel.profile_review(spec)
        return render(request, "profiles/analysis/review.html", {
            "profile": profile, "version": version, "versions": _versions(profile), "spec": spec, "review": review,
            "hits": [(h, describe(h.criterion)) for h in review.hits], "query": query,
            "found": sel.account_search(query),
        })


class ExplainView(RoleRequiredMixin, View):
    """For one account: the points it got and missed on each criterion of the profile."""

    allowed_roles = EVERYONE

    def get(self, request, pk: int, account_pk: int):
        profile, version = _profile_and_version(pk, request.GET.get("version"))
        account = get_object_or_404(Account.objects.select_related("icp_profile"), pk=account_pk)
        spec = sel.version_spec(profile, version)
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
    min_wins = forms.IntegerField(label=gettext_lazy("Won deals at least"), min_value=1, max_value=100, initial=2)
    min_sample = forms.IntegerField(label=gettext_lazy("Minimum sample"), min_value=1, max_value=100000,
                                    initial=analysis.MIN_SAMPLE)

    def clean(self):
        data = super().clean()
        if not data.get("loyal") and not data.get("active"):
            raise ValidationError(_("Choose at least one group of best customers."))
        return data


def _learn_form(data) -> LearnForm:
    if not any(key in data for key in ("min_wins", "min_sample")):
        data = {"loyal": True, "active": True, "min_wins": 2, "min_sample": analysis.MIN_SAMPLE}
    return LearnForm(data)


def _learning(form: LearnForm) -> sel.Learning:
    data = form.cleaned_data
    return sel.best_customer_learning(loyal=data["loyal"], active_min_wins=data["min_wins"] if data["active"] else None,
                                      min_sample=data["min_sample"])


class LearnView(RoleRequiredMixin, View):
    """Best customers vs all targets, attribute by attribute; suggested criteria; a draft profile in one click."""

    allowed_roles = EVERYONE

    def get(self, request):
        form = _learn_form(request.GET)
        learning = _learning(form) if form.is_valid() else None
        return self._render(request, form, learning)

    def post(self, request):
        if not has_role(request.user, EDITORS):
            raise PermissionDenied
        form = _learn_form(request.POST)
        if not form.is_valid():
            return self._render(request, form, None, status=400)
        # The suggestion is recomputed from the chosen group, never taken from the posted page.
        learning = _learning(form)
        criteria = analysis.suggested_criteria(learning.suggestions)
        name = (request.POST.get("name") or "").strip()[:200] or _("Draft from best customers %(date)s") % {
            "date": business_today().isoformat()}
        error = None
        if not criteria:
            error = _("Nothing to suggest: no value is both frequent enough and over-represented among the best customers.")
        elif IcpProfile.objects.filter(name=name).exists():
            error = _("A profile named “%(name)s” already exists; choose another name.") % {"name": name}
        if error:
            messages.error(request, error)
            return self._render(request, form, learning, status=400, name=name)
        data = form.cleaned_data
        group = [_("loyal")] if data["loyal"] else []
        if data["active"]:
            group.append(_("active with ≥ %(n)d won deals") % {"n": data["min_wins"]})
        version = profile_save(
            name=name, criteria=criteria, active=False, actor=request.user, rescore=False,
            description=_("Suggested from the best customers (%(group)s) against all target accounts.") % {
                "group": ", ".join(group)},
            comment=_("Draft from the best-customer analysis, minimum sample %(n)d") % {"n": data["min_sample"]},
        )
        messages.success(request, _("Draft profile “%(name)s” created (inactive).") % {"name": name})
        return redirect("profiles:review", pk=version.profile_id)

    def _render(self, request, form, learning, *, status: int = 200, name: str = ""):
        rows_by_attribute: dict[str, list] = {}
        for row in learning.rows if learning else []:
            rows_by_attribute.setdefault(attribute_label(row.attribute), []).append(row)
        return render(request, "profiles/analysis/learn.html", {
            "form": form, "learning": learning, "rows_by_attribute": rows_by_attribute,
            "suggestions": [(s, describe(s.criterion)) for s in learning.suggestions] if learning else [],
            "can_edit": has_role(request.user, EDITORS), "name": name,
            "min_lift": float(analysis.SUGGEST_MIN_LIFT),
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
                    "min_sample": analysis.MIN_SAMPLE}
        form = ValidateForm({**defaults, **{k: v for k, v in request.GET.items() if k in defaults and v}})
        outcomes = []
        if form.is_valid():
            data = form.cleaned_data
            versions = {v.number: v for v in profile.versions.filter(number__in=[data["old"], data["new"]])}
            for number in dict.fromkeys([data["old"], data["new"]]):
                version = versions.get(number)
                if version is None:
                    form.add_error(None, _("Version %(n)d does not exist.") % {"n": number})
                    continue
                outcomes.append((version, sel.outcomes_by_tier(
                    sel.version_spec(profile, version), start=data["start"], end=data["end"],
                    label=f"v{number}", min_sample=data["min_sample"])))
        return render(request, "profiles/analysis/validate.html", {
            "profile": profile, "form": form, "outcomes": outcomes, "versions": numbers,
        })


class BreadthView(RoleRequiredMixin, View):
    """Share of tier A/B target accounts touched in the last 30 and 90 days, by state, industry and region."""

    allowed_roles = EVERYONE

    def get(self, request):
        as_of = latest_run_as_of() or business_today()
        names = dict(State.choices)
        breadth = sel.breadth_by_segment(as_of=as_of)
        return render(request, "profiles/analysis/breadth.html", {
            "breadth": breadth, "state_rows": [(names.get(r.key, r.key), r) for r in breadth.by_state],
        })
