"""State settings: the thresholds of the state rules, with the same what-if preview as the standards."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from core.models import AuditEntry
from core.permissions import MANAGERS, RoleRequiredMixin
from core.versioning import StaleVersion, conflict_message
from engine.domain import Thresholds
from engine.preview import preview_tomorrow

from .forms import ThresholdsForm
from .models import Segment, StateThresholds
from .services import THRESHOLD_FIELDS, thresholds_update


class StateSettingsView(RoleRequiredMixin, View):
    allowed_roles = MANAGERS
    template_name = "segments/settings.html"

    def get(self, request):
        return self._render(request, ThresholdsForm(instance=StateThresholds.load()))

    def post(self, request):
        form = ThresholdsForm(request.POST, instance=StateThresholds.load())
        if not form.is_valid():
            return self._render(request, form, status=400)
        values = {f: form.cleaned_data[f] for f in THRESHOLD_FIELDS}
        if request.POST.get("action") == "save":
            try:
                thresholds_update(changes=values, actor=request.user, expected_version=form.cleaned_data["version"])
            except StaleVersion as exc:
                # Saved by someone else since this page was opened: nothing saved, the input shown again.
                messages.error(request, conflict_message(exc, labels={
                    name: f"{field.label} ({name})" for name, field in form.fields.items()}))
                return self._render(request, form, status=409)
            messages.success(request, _("Saved: the next recompute uses the new thresholds."))
            return redirect("segments:settings")
        return self._render(request, form, preview=preview_tomorrow(thresholds=Thresholds(**values)))

    def _render(self, request, form, *, preview=None, status=200):
        history = AuditEntry.objects.filter(action="thresholds.update").select_related("actor")[:10]
        return render(request, self.template_name, {
            "form": form, "preview": preview, "segments": Segment.objects.order_by("order"), "history": history,
        }, status=status)
