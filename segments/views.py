"""State settings: the thresholds of the state rules, with their preview computed as a background job
(segments.threshold_preview) that the page polls."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from core.models import AuditEntry
from core.permissions import MANAGERS, RoleRequiredMixin
from core.versioning import StaleVersion, conflict_message

from .forms import ThresholdsForm
from .models import Segment, StateThresholds
from .services import THRESHOLD_FIELDS, thresholds_update
from .threshold_preview import (
    access_threshold_preview, proposal_changes, result_tables, threshold_preview_error, threshold_preview_latest,
    threshold_preview_request,
)

JOB_PARTIAL = "segments/partials/threshold_preview.html"


def job_context(job, *, created: bool | None = None) -> dict:
    """What the job's box shows: its state, the change it previews, its result or its failure."""
    if job is None:
        return {"job": None}
    return {
        "job": job, "created": created, "tables": result_tables(job),
        "changes": proposal_changes(job) if job.in_progress else None,
        "error": threshold_preview_error(job) if job.status == job.Status.FAILED else "",
    }


def _named_errors(form) -> list[str]:
    """The form's errors, each after the label of the field it is about."""
    whole = _("Thresholds")
    return [f"{form.fields[name].label if name in form.fields else whole}: {' '.join(errors)}"
            for name, errors in form.errors.items()]


class StateSettingsView(RoleRequiredMixin, View):
    allowed_roles = MANAGERS
    template_name = "segments/settings.html"

    def get(self, request):
        return self._render(request, ThresholdsForm(instance=StateThresholds.load()),
                            job=threshold_preview_latest(user=request.user))

    def post(self, request):
        form = ThresholdsForm(request.POST, instance=StateThresholds.load())
        preview = request.POST.get("action") != "save"
        if not form.is_valid():
            if preview and request.htmx:  # in the preview's box, each naming its field (htmx swaps 2xx only)
                return render(request, JOB_PARTIAL, {"job": None, "form_errors": _named_errors(form)})
            return self._render(request, form, status=400)
        values = {f: form.cleaned_data[f] for f in THRESHOLD_FIELDS}
        if preview:
            return self._preview(request, form, values)
        try:
            thresholds_update(changes=values, actor=request.user, expected_version=form.cleaned_data["version"])
        except StaleVersion as exc:
            # Saved by someone else since this page was opened: nothing saved, the input shown again.
            messages.error(request, conflict_message(exc, labels={
                name: f"{field.label} ({name})" for name, field in form.fields.items()}))
            return self._render(request, form, status=409)
        messages.success(request, _("Saved: the next recompute uses the new thresholds."))
        return redirect("segments:settings")

    def _preview(self, request, form, values):
        try:
            job, created = threshold_preview_request(actor=request.user, changes=values)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            if request.htmx:
                return render(request, JOB_PARTIAL, {"job": None, "form_errors": _named_errors(form)})
            return self._render(request, form, status=400)
        if request.htmx:
            return render(request, JOB_PARTIAL, job_context(job, created=created))
        return self._render(request, form, job=job, created=created)

    def _render(self, request, form, *, job=None, created=None, status=200):
        history = AuditEntry.objects.filter(action="thresholds.update").select_related("actor")[:10]
        return render(request, self.template_name, {
            "form": form, "segments": Segment.objects.order_by("order"), "history": history,
            **job_context(job, created=created),
        }, status=status)


class ThresholdPreviewView(RoleRequiredMixin, View):
    """One of the person's previews: the box the settings page polls every second while it runs."""

    allowed_roles = MANAGERS

    def get(self, request, pk: int):
        job = access_threshold_preview(user=request.user, job_id=pk)
        return render(request, JOB_PARTIAL, job_context(job))
