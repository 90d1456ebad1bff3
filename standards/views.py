"""The standards editor: every state's requirements in one table, a what-if preview, versioned saves."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from core.choices import State
from core.permissions import MANAGERS, RoleRequiredMixin
from engine.domain import RequirementSpec
from engine.preview import preview_tomorrow

from .forms import RequirementFormSet
from .models import Standard, StandardChange
from .services import standard_snapshot, standard_update


def _formsets(data=None) -> list[tuple[Standard, object]]:
    standards = list(Standard.objects.prefetch_related("requirements").order_by("id"))
    order = {s: i for i, s in enumerate(State.values)}
    standards.sort(key=lambda s: order.get(s.state, 99))
    result = []
    for standard in standards:
        initial = standard_snapshot(standard)["requirements"]
        result.append((standard, RequirementFormSet(data, initial=initial, prefix=standard.state)))
    return result


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
                with transaction.atomic():
                    changed = 0
                    for standard, _fs in formsets:
                        before = standard.version
                        updated = standard_update(standard=standard, requirements=proposed[standard.state],
                                                  actor=request.user, comment=request.POST.get("comment", "")[:300])
                        changed += updated.version != before
            except ValidationError as exc:
                messages.error(request, "; ".join(exc.messages))
                return self._render(request, formsets, status=400)
            messages.success(request, _("Saved: %(n)d standard(s) changed.") % {"n": changed})
            return redirect("standards:editor")
        specs = {
            state: tuple(RequirementSpec(state=state, code=r["code"], kind=r["kind"], min_count=r["min_count"],
                                         window_days=r["window_days"], responsible_role=r["responsible_role"],
                                         performer_roles=tuple(r["performer_roles"])) for r in reqs)
            for state, reqs in proposed.items()
        }
        return self._render(request, formsets, preview=preview_tomorrow(requirements=specs))

    def _render(self, request, formsets, *, preview=None, status=200):
        history = StandardChange.objects.select_related("standard", "changed_by").order_by("-changed_at", "-id")[:20]
        return render(request, self.template_name, {"formsets": formsets, "preview": preview, "history": history},
                      status=status)
