"""The standards table: a row per state in lifecycle order, each requirement a readable cell edited in place
(htmx), previewed before it is saved, saved with the version the cell was opened at (docs/api.md §5)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from core.permissions import MANAGERS, RoleRequiredMixin
from core.versioning import StaleVersion, conflict_message

from .forms import PlanForm, RequirementCellForm, SaveFields
from .models import Standard
from .selectors import standards_table
from .services import standard_requirements_edited, standard_snapshot, standard_update
from .whatif import preview_standards, whatif_for_display


def what_if(requirements_by_state: dict[str, list[dict]]) -> dict:
    """The preview's template context for a proposal: the next night with and without it, by responsible role and
    by owner (standards.whatif; templates/standards/partials/whatif.html)."""
    return {"whatif": whatif_for_display(preview_standards(proposal=requirements_by_state))}


def _table_row(request, state: str) -> HttpResponse:
    """The state's whole row, after a save: its version and every cell as they are now."""
    row = next((r for r in standards_table() if r["standard"].state == state), None)
    response = render(request, "standards/partials/row.html", {"row": row})
    response["HX-Retarget"] = f"#row-{state}"
    response["HX-Reswap"] = "outerHTML"
    return response


def _errors_of(exc: ValidationError, form) -> list[str]:
    """The service's refusal: next to the form's field it names, the rest above the form."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    rest = []
    for field, messages in exc.message_dict.items():
        if hasattr(form, "fields") and field in form.fields:
            form.add_error(field, messages)
        else:
            rest += [f"{field}: {m}" if field != "__all__" else m for m in messages]
    return rest


class StandardsTableView(RoleRequiredMixin, View):
    allowed_roles = MANAGERS

    def get(self, request):
        return render(request, "standards/table.html", {"rows": standards_table()})


class _EditView(RoleRequiredMixin, View):
    """A form of one state's row edited in place: GET the form, POST `action=preview` or `action=save`.

    Errors and a stale version answer the form again with the input kept: 200 to htmx (it swaps 2xx only), 400 or
    409 to a plain form post. A save answers the row as it is now."""

    allowed_roles = MANAGERS
    template_name = ""

    def standard(self, state: str) -> Standard:
        return get_object_or_404(Standard.objects.prefetch_related("requirements"), state=state)

    def render_form(self, request, context: dict, *, status: int = 200) -> HttpResponse:
        if request.htmx:
            # The Preview button targets the form's what-if box; the form itself (errors, a conflict) replaces
            # the whole form, with the user's input.
            response = render(request, self.template_name, context)
            response["HX-Retarget"] = f"#{context['cell_id']}"
            response["HX-Reswap"] = "outerHTML"
            return response
        return render(request, "standards/edit_page.html", {**context, "form_template": self.template_name},
                      status=status)

    def post(self, request, state: str, **kwargs):
        standard = self.standard(state)
        form, save = self.bound_form(request, standard, **kwargs), SaveFields(request.POST)
        context = self.context(standard, form, save, **kwargs)
        if not (form.is_valid() and save.is_valid()):
            return self.render_form(request, context, status=400)
        action = request.GET.get("action") or request.POST.get("action")
        try:
            if action == "preview":
                context.update(what_if({state: self.proposed(standard, form, **kwargs)}), previewed=True)
                if request.htmx:
                    return render(request, "standards/partials/preview.html", context)
                return self.render_form(request, context)
            self.save(request, standard, form, save, **kwargs)
        except StaleVersion as exc:
            context["errors"] = [conflict_message(exc)]
            return self.render_form(request, context, status=409)
        except ValidationError as exc:
            context["errors"] = _errors_of(exc, form)
            return self.render_form(request, context, status=400)
        if request.htmx:
            return _table_row(request, state)
        return HttpResponse(status=303, headers={"Location": f"{reverse('standards:editor')}#row-{state}"})


class RequirementCellView(_EditView):
    """One requirement (``code``) or a new one (no code)."""

    template_name = "standards/partials/requirement_form.html"

    def initial(self, standard: Standard, code: str | None) -> dict:
        if code is None:
            return {"kind": "human", "min_count": 1, "window_days": 30, "responsible_role": standard.owner_role or ""}
        found = next((r for r in standard_snapshot(standard)["requirements"] if r["code"] == code), None)
        if found is None:
            raise Http404
        return found

    def context(self, standard, form, save, code=None) -> dict:
        url = (reverse("standards:requirement", args=[standard.state, code]) if code
               else reverse("standards:requirement-add", args=[standard.state]))
        return {"standard": standard, "form": form, "save": save, "code": code, "url": url,
                "cell_id": f"req-{standard.state}-{code}" if code else f"new-{standard.state}",
                "row_url": reverse("standards:row", args=[standard.state])}

    def get(self, request, state: str, code: str | None = None):
        standard = self.standard(state)
        form = RequirementCellForm(initial=self.initial(standard, code), prefix=f"{state}-{code or 'new'}")
        save = SaveFields(initial={"version": standard.version})
        return self.render_form(request, self.context(standard, form, save, code))

    def bound_form(self, request, standard, code=None):
        self.initial(standard, code)
        return RequirementCellForm(request.POST, prefix=f"{standard.state}-{code or 'new'}")

    def proposed(self, standard, form, code=None) -> list[dict]:
        new_code = form.cleaned_data["code"]
        if new_code != code and any(r.code == new_code for r in standard.requirements.all()):
            raise ValidationError({"code": _("%(code)s is already a requirement of this state.") % {"code": new_code}})
        return standard_requirements_edited(standard=standard, code=code, requirement=form.requirement())

    def save(self, request, standard, form, save, code=None) -> None:
        standard_update(standard=standard, requirements=self.proposed(standard, form, code), actor=request.user,
                        comment=save.cleaned_data["comment"], expected_version=save.cleaned_data["version"])


class RowView(RoleRequiredMixin, View):
    """One state's row as the table shows it (what Cancel puts back)."""

    allowed_roles = MANAGERS

    def get(self, request, state: str):
        row = next((r for r in standards_table() if r["standard"].state == state), None)
        if row is None:
            raise Http404
        return render(request, "standards/partials/row.html", {"row": row})


class RequirementRemoveView(_EditView):
    """Remove a requirement: GET asks to confirm (Preview shows what it changes), POST removes."""

    template_name = "standards/partials/remove_form.html"

    def context(self, standard, form, save, code=None) -> dict:
        from .display import requirement_text

        found = next((r for r in standard_snapshot(standard)["requirements"] if r["code"] == code), None)
        if found is None:
            raise Http404
        return {"standard": standard, "form": form, "save": save, "code": code, "text": requirement_text(found),
                "url": reverse("standards:requirement-remove", args=[standard.state, code]),
                "cell_id": f"req-{standard.state}-{code}", "row_url": reverse("standards:row", args=[standard.state])}

    def get(self, request, state: str, code: str):
        standard = self.standard(state)
        return self.render_form(request, self.context(standard, None, SaveFields(initial={"version": standard.version}),
                                                      code))

    def bound_form(self, request, standard, code=None):
        return SaveFields(request.POST)

    def proposed(self, standard, form, code=None) -> list[dict]:
        return standard_requirements_edited(standard=standard, code=code, requirement=None)

    def save(self, request, standard, form, save, code=None) -> None:
        standard_update(standard=standard, requirements=self.proposed(standard, form, code), actor=request.user,
                        comment=save.cleaned_data["comment"], expected_version=save.cleaned_data["version"])


class PlanView(_EditView):
    """A state's purpose, owner role and content plan."""

    template_name = "standards/partials/plan_form.html"

    def context(self, standard, form, save) -> dict:
        return {"standard": standard, "form": form, "save": save, "cell_id": f"plan-{standard.state}",
                "url": reverse("standards:plan", args=[standard.state]),
                "row_url": reverse("standards:row", args=[standard.state])}

    def get(self, request, state: str):
        standard = self.standard(state)
        form = PlanForm(instance=standard, prefix=f"{state}-plan")
        return self.render_form(request, self.context(standard, form, SaveFields(initial={"version": standard.version})))

    def bound_form(self, request, standard):
        return PlanForm(request.POST, instance=Standard(state=standard.state), prefix=f"{standard.state}-plan")

    def proposed(self, standard, form) -> list[dict]:
        return standard_snapshot(standard)["requirements"]

    def save(self, request, standard, form, save) -> None:
        data = form.cleaned_data
        standard_update(standard=standard, requirements=standard_snapshot(standard)["requirements"],
                        actor=request.user, purpose=data["purpose"], owner_role=data["owner_role"],
                        content_stages=data["content_stages"], channels=data["channels"],
                        comment=save.cleaned_data["comment"], expected_version=save.cleaned_data["version"])
