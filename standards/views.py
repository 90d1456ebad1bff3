"""The standards editor: every state's requirements in one table, a what-if preview, versioned saves."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from core.permissions import MANAGERS, RoleRequiredMixin
from core.versioning import StaleVersions, conflict_messages

from .forms import RequirementFormSet
from .models import Standard
from .selectors import standard_history, standards_in_state_order
from .services import standard_set_preview, standard_set_save, standard_snapshot


def _opened_versions(data) -> dict[str, int]:
    """The version of each state when the form was opened (hidden `<STATE>-version` inputs)."""
    versions = {}
    for standard in Standard.objects.only("state"):
        value = (data.get(f"{standard.state}-version") or "").strip()
        if value.isdigit():
            versions[standard.state] = int(value)
    return versions


def _formsets(data=None) -> list[tuple[Standard, RequirementFormSet]]:
    return [(standard, RequirementFormSet(data, initial=standard_snapshot(standard)["requirements"], prefix=standard.state))
            for standard in standards_in_state_order()]


class StandardsEditorView(RoleRequiredMixin, View):
    allowed_roles = MANAGERS
    template_name = "standards/editor.html"

    def get(self, request):
        return self._render(request, _formsets())

    def post(self, request):
        formsets = _formsets(request.POST)
        if not all(fs.is_valid() for _standard, fs in formsets):
            messages.error(request, _("Some requirements are not valid: see the marked fields."))
            return self._render(request, formsets, status=400)
        proposed = {standard.state: fs.requirements() for standard, fs in formsets}
        if request.POST.get("action") == "save":
            try:
                changed = standard_set_save(requirements_by_state=proposed, actor=request.user,
                                            comment=request.POST.get("comment", ""),
                                            expected_versions=_opened_versions(request.POST))
            except StaleVersions as exc:
                # Someone else saved a state this form changes: nothing saved, the input shown again (docs/api.md §5).
                for message in conflict_messages(exc):
                    messages.error(request, message)
                return self._render(request, formsets, status=409, opened=request.POST)
            except ValidationError as exc:
                messages.error(request, "; ".join(exc.messages))
                return self._render(request, formsets, status=400)
            messages.success(request, _("Saved: %(n)d standard(s) changed.") % {"n": changed})
            return redirect("standards:editor")
        return self._render(request, formsets, preview=standard_set_preview(requirements_by_state=proposed))

    def _render(self, request, formsets, *, preview=None, status=200, opened=None):
        history = standard_history(limit=20)
        # The versions the form was opened at travel with it (a preview or an invalid save keeps them), so the save
        # is checked against what the user saw, not what was current when the form came back.
        versions = _opened_versions(opened if opened is not None else request.POST)
        for standard, _formset in formsets:
            standard.opened_version = versions.get(standard.state, standard.version)
        return render(request, self.template_name, {"formsets": formsets, "preview": preview, "history": history},
                      status=status)
