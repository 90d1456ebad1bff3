"""ICP profile pages for marketing: list, profile, editor, versions and comparison, activation, JSON in and out.

Every role reads; marketing, managers and admins write. Every save is a new version (services.profile_save)
and queues a rescoring job whose progress has its own page.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views import View

from core.choices import Role
from core.permissions import EVERYONE, MANAGERS, RoleRequiredMixin, has_role
from core.versioning import StaleVersion, conflict_message

from .forms import OPERATOR_LABELS, CriterionFormSet, ImportForm, ProfileForm, attribute_label, criterion_initial
from .models import IcpProfile, RescoreRun
from .selectors import (
    diff_versions, profile_get, profile_list_rows, profile_tier_counts, profile_to_json, profile_versions,
    rescore_run_latest, tier_counts_stored,
)
from .services import profile_save, profile_save_json, profile_set_active

EDITORS: tuple[str, ...] = (Role.MARKETING, *MANAGERS)


def can_edit(user) -> bool:
    return has_role(user, EDITORS)


def criteria_rows(criteria) -> list[dict]:
    """Criteria with readable attribute and operator names, for display."""
    return [{**c, "index": i, "attribute_label": attribute_label(c.get("attribute", "")) if c.get("attribute") else "",
             "op_label": OPERATOR_LABELS.get(c.get("op"), c.get("op"))} for i, c in enumerate(criteria)]


class ProfileListView(RoleRequiredMixin, View):
    allowed_roles = EVERYONE

    def get(self, request):
        tiers = tier_counts_stored()  # accounts per tier: one stored row, not a GROUP BY over the accounts
        return render(request, "profiles/list.html", {
            "rows": profile_list_rows(tiers=tiers), "tiers": tiers, "can_edit": can_edit(request.user),
            "latest_run": rescore_run_latest(),
        })


class ProfileDetailView(RoleRequiredMixin, View):
    allowed_roles = EVERYONE

    def get(self, request, pk: int):
        profile = profile_get(profile_id=pk)
        version = profile.current_version
        tiers = tier_counts_stored()
        return render(request, "profiles/detail.html", {
            "profile": profile, "version": version, "criteria": criteria_rows(version.criteria if version else []),
            "tiers": tiers, "tier_counts": profile_tier_counts(tiers, profile_id=profile.pk),
            "run": rescore_run_latest(profile=profile),
            "can_edit": can_edit(request.user),
        })


class ProfileEditView(RoleRequiredMixin, View):
    """Create (no pk) or edit: the profile's fields and its criteria as rows; saving adds a version."""

    allowed_roles = EDITORS

    def get(self, request, pk: int | None = None):
        profile = profile_get(profile_id=pk) if pk else None
        version = profile.current_version if profile else None
        form = ProfileForm(profile=profile, initial={
            "name": profile.name, "description": profile.description,
            "tier_a": version.tiers.get("A", 80), "tier_b": version.tiers.get("B", 50), "version": version.number,
        } if profile and version else None)
        formset = CriterionFormSet(prefix="criteria",
                                   initial=[criterion_initial(c) for c in version.criteria] if version else None)
        return self._render(request, profile, form, formset)

    def post(self, request, pk: int | None = None):
        profile = profile_get(profile_id=pk) if pk else None
        form = ProfileForm(request.POST, profile=profile)
        formset = CriterionFormSet(request.POST, prefix="criteria")
        form_ok, formset_ok = form.is_valid(), formset.is_valid()
        if form_ok and formset_ok:
            try:
                version = profile_save(
                    name=profile.name if profile else form.cleaned_data["name"],
                    description=form.cleaned_data["description"], active=profile.active if profile else True,
                    tiers=form.tiers(), criteria=formset.criteria(), actor=request.user,
                    comment=form.cleaned_data["comment"],
                    expected_version=form.cleaned_data["version"] if profile else None)
            except StaleVersion as exc:
                # Saved by someone else since this editor was opened: nothing saved, the input shown again.
                messages.error(request, conflict_message(exc))
                return self._render(request, profile, form, formset, status=409)
            except ValidationError as exc:
                self._add_service_errors(exc, form, formset)
            else:
                messages.success(request, _("Saved as version %(number)d. Accounts are being rescored.")
                                 % {"number": version.number})
                return redirect("profiles:detail", pk=version.profile_id)
        messages.error(request, _("The profile was not saved: see the marked fields."))
        return self._render(request, profile, form, formset, status=400)

    @staticmethod
    def _add_service_errors(exc: ValidationError, form: ProfileForm, formset) -> None:
        for key, errors in exc.message_dict.items():
            if key == "criteria":
                formset.add_service_errors(errors)
            elif key == "tiers":
                form.add_error("tier_a", errors)
            elif key in form.fields:  # name, description, comment
                form.add_error(key, errors)
            else:
                form.add_error(None, errors)

    def _render(self, request, profile, form, formset, status: int = 200):
        return render(request, "profiles/edit.html", {"profile": profile, "form": form, "formset": formset},
                      status=status)


class ProfileActivateView(RoleRequiredMixin, View):
    """POST active=1 or 0: audited by the service, then every account is rescored in the background."""

    allowed_roles = EDITORS

    def post(self, request, pk: int):
        profile = get_object_or_404(IcpProfile, pk=pk)
        active = request.POST.get("active") == "1"
        profile_set_active(profile=profile, active=active, actor=request.user)
        messages.success(request, (_("Activated: %(name)s.") if active else _("Deactivated: %(name)s."))
                         % {"name": profile.name})
        return redirect("profiles:detail", pk=profile.pk)


class ProfileVersionsView(RoleRequiredMixin, View):
    """Every version (who, when, comment) and any two side by side: ?a=<old number>&b=<new number>."""

    allowed_roles = EVERYONE

    def get(self, request, pk: int):
        profile = profile_get(profile_id=pk)
        versions = profile_versions(profile=profile)
        by_number = {v.number: v for v in versions}
        newest = versions[0].number if versions else None
        b = _int(request.GET.get("b"), newest)
        a = _int(request.GET.get("a"), (b - 1) if b and b - 1 in by_number else b)
        context = {"profile": profile, "versions": versions, "a": a, "b": b, "can_edit": can_edit(request.user)}
        if a in by_number and b in by_number:
            old, new = by_number[a], by_number[b]
            diff = diff_versions(old=old, new=new)
            context.update(old=old, new=new, diff=diff, rows=[
                {"status": r.status, "fields": r.fields,
                 "old": criteria_rows([r.old])[0] | {"index": r.old_index} if r.old else None,
                 "new": criteria_rows([r.new])[0] | {"index": r.new_index} if r.new else None}
                for r in diff.rows])
        elif request.GET.get("a") or request.GET.get("b"):
            context["missing"] = True
        return render(request, "profiles/versions.html", context)


def _int(text: str | None, default: int | None) -> int | None:
    try:
        return int(text) if text else default
    except ValueError:
        return default


class ProfileExportView(RoleRequiredMixin, View):
    """The profile as the JSON of docs/api.md §3 (the current version, or ?version=N)."""

    allowed_roles = EVERYONE

    def get(self, request, pk: int):
        profile = profile_get(profile_id=pk)
        version = profile.current_version
        if request.GET.get("version"):
            version = profile.versions.filter(number=_int(request.GET["version"], 0)).first()
            if version is None:
                raise Http404("no such version")
        text = json.dumps(profile_to_json(profile, version), ensure_ascii=False, indent=2) + "\n"
        response = HttpResponse(text, content_type="application/json; charset=utf-8")
        filename = f"icp-{slugify(profile.name) or profile.pk}-v{version.number if version else 0}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class ProfileImportView(RoleRequiredMixin, View):
    """Upload (or paste) the JSON: a new profile, or a new version of the one with the same name."""

    allowed_roles = EDITORS

    def get(self, request):
        return render(request, "profiles/import.html", {"form": ImportForm()})

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        problems: list[str] = []
        if form.is_valid():
            try:
                version = profile_save_json(data=form.cleaned_data["profile_json"], actor=request.user,
                                            comment=_("Imported from JSON"), reason="import")
            except ValidationError as exc:
                for key, errors in exc.message_dict.items():
                    problems += [e if e.startswith(key) else f"{key}: {e}" for e in errors]
            else:
                messages.success(request, _("Imported %(name)s as version %(number)d.")
                                 % {"name": version.profile.name, "number": version.number})
                return redirect("profiles:detail", pk=version.profile_id)
        return render(request, "profiles/import.html", {"form": form, "problems": problems}, status=400)


class RescoreRunView(RoleRequiredMixin, View):
    """One rescoring job: status and a live progress bar (htmx polls this page for the partial)."""

    allowed_roles = EVERYONE

    def get(self, request, pk: int):
        run = get_object_or_404(RescoreRun.objects.select_related("profile", "created_by"), pk=pk)
        template = "profiles/partials/rescore_status.html" if request.htmx else "profiles/rescore_run.html"
        return render(request, template, {"run": run})
