"""The standards' history: each saved change as before → after per requirement, and restoring a version (itself a
new version, audited)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from core.choices import State
from core.permissions import MANAGERS, RoleRequiredMixin
from core.versioning import StaleVersion, conflict_message

from .models import Standard, StandardChange
from .selectors import standard_changes
from .services import standard_restore


class HistoryView(RoleRequiredMixin, View):
    allowed_roles = MANAGERS

    def get(self, request):
        state = request.GET.get("state") or ""
        if state not in State.values:
            state = ""
        versions = dict(Standard.objects.values_list("id", "version"))
        changes = standard_changes(state=state or None)
        for change in changes:
            change.current_version = versions.get(change.standard_id)
        states = [(value, label) for value, label in State.choices if value != State.OUT_OF_SCOPE]
        return render(request, "standards/history.html", {"changes": changes, "state": state, "states": states})


class RestoreView(RoleRequiredMixin, View):
    """POST: put back the version after (or, with `side=before`, before) a change, checked against the version
    the history page showed."""

    allowed_roles = MANAGERS

    def post(self, request, pk: int):
        change = get_object_or_404(StandardChange.objects.select_related("standard"), pk=pk)
        version = request.POST.get("version", "")
        before = request.POST.get("side") == "before"
        try:
            restored = standard_restore(change=change, actor=request.user, before=before,
                                        comment=request.POST.get("comment", ""),
                                        expected_version=int(version) if version.isdigit() else None)
        except StaleVersion as exc:
            messages.error(request, conflict_message(exc))
            return redirect("standards:history")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("standards:history")
        if restored.version == change.standard.version:
            messages.info(request, _("%(state)s is already as it was at that version: nothing to restore.") % {
                "state": change.standard.get_state_display()})
        else:
            messages.success(request, _("%(state)s restored: it is now version %(version)d.") % {
                "state": change.standard.get_state_display(), "version": restored.version})
        return redirect("standards:history")
