"""Imports for admins: upload, detected encoding and column mapping, then a dry run or a commit — both queued in
the background (core.services.import_queue) with their progress shown here."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from .choices import Role
from .importing import ALLOWED_ENCODINGS, EncodingRefused, ImportAborted, allowed_encoding, mapping_for, sniff
from .models import ImportMappingPreset, ImportRun
from .permissions import RoleRequiredMixin
from .services import IMPORT_KINDS, errors_path, import_queue, import_specs, import_store_upload, upload_dir

ADMINS = (Role.ADMIN,)

__all__ = ["ImportDetailView", "ImportErrorsView", "ImportListView", "errors_path", "upload_dir"]


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=[(k, k) for k in IMPORT_KINDS])
    file = forms.FileField(label=gettext_lazy("CSV file (UTF-8 or Shift_JIS/CP932)"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > settings.IMPORT_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than the %(mb)d MB allowed.") % {"mb": settings.IMPORT_UPLOAD_MAX_BYTES // 2**20})
        return f


def clean_encoding(value: str | None) -> str | None:
    """An encoding entered on the page or in the API: empty (detect), else one of ALLOWED_ENCODINGS."""
    if not value:
        return None
    try:
        return allowed_encoding(value)
    except EncodingRefused:
        raise forms.ValidationError(
            _("%(encoding)s is not a text encoding for CSV files; use one of: %(allowed)s")
            % {"encoding": str(value)[:40], "allowed": ", ".join(ALLOWED_ENCODINGS)}
        ) from None


class ImportListView(RoleRequiredMixin, View):
    allowed_roles = ADMINS

    def get(self, request):
        return self._render(request, UploadForm())

    def post(self, request):
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, form, status=400)
        upload = form.cleaned_data["file"]
        stored = import_store_upload(upload=upload)
        run = ImportRun.objects.create(kind=form.cleaned_data["kind"], file_name=upload.name[:255], file_sha256="",
                                       file_size=upload.size, created_by=request.user, status=ImportRun.Status.PENDING,
                                       options={"stored_path": str(stored)})
        return redirect("core:import-detail", pk=run.pk)

    def _render(self, request, form, status=200):
        runs = ImportRun.objects.select_related("created_by").order_by("-started_at")[:30]
        return render(request, "core/imports.html", {"form": form, "runs": runs}, status=status)


def _stored(run: ImportRun) -> Path:
    path = Path(run.options.get("stored_path", ""))
    if not path.is_file():
        raise Http404("the uploaded file is no longer available")
    return path


class ImportDetailView(RoleRequiredMixin, View):
    """The detected encoding and mapping (editable); a dry run or a commit, queued in the background."""

    allowed_roles = ADMINS

    def get(self, request, pk: int):
        run = get_object_or_404(ImportRun, pk=pk)
        return self._render(request, run)

    def post(self, request, pk: int):
        run = get_object_or_404(ImportRun, pk=pk)
        path = _stored(run)
        spec = import_specs()[run.kind]
        mapping = {key[4:]: value for key, value in request.POST.items() if key.startswith("map:") and value}
        ignored = [key[4:] for key, value in request.POST.items() if key.startswith("map:") and not value]
        mapping.update({source: f"__ignored__{i}" for i, source in enumerate(ignored)})
        valid_fields = {c.name for c in spec.columns}
        mapping = {k: v for k, v in mapping.items() if v in valid_fields or v.startswith("__ignored__")}
        action = request.POST.get("action")
        if action == "apply_preset":
            preset = get_object_or_404(ImportMappingPreset, pk=request.POST.get("preset") or 0, kind=run.kind)
            run.options = {**run.options, "mapping": preset.mapping}
            run.save(update_fields=["options"])
            messages.info(request, _("Mapping preset applied: %(name)s") % {"name": preset.name})
            return redirect("core:import-detail", pk=run.pk)
        if action == "save_preset":
            name = (request.POST.get("preset_name") or "").strip()[:100]
            if not name:
                messages.error(request, _("Name the preset."))
            else:
                ImportMappingPreset.objects.update_or_create(kind=run.kind, name=name,
                                                             defaults={"mapping": mapping, "created_by": request.user})
                run.options = {**run.options, "mapping": mapping}
                run.save(update_fields=["options"])
                messages.success(request, _("Mapping saved as preset: %(name)s") % {"name": name})
            return redirect("core:import-detail", pk=run.pk)
        if action not in ("dry_run", "commit"):
            return self._render(request, run, error=_("Choose a dry run or an import."), status=400)
        try:
            encoding = clean_encoding(request.POST.get("encoding"))
        except forms.ValidationError as exc:
            return self._render(request, run, error=" ".join(exc.messages), status=400)
        target = import_queue(kind=run.kind, path=path, file_name=run.file_name, user=request.user,
                              dry_run=action == "dry_run", skip_invalid=bool(request.POST.get("skip_invalid")),
                              encoding=encoding, mapping=mapping)
        messages.info(request, _("Dry run queued.") if action == "dry_run" else _("Import queued."))
        return redirect("core:import-detail", pk=target.pk)

    def _render(self, request, run: ImportRun, *, error: str = "", status: int = 200):
        context = {"run": run, "has_errors_file": errors_path(run).is_file(), "form_error": error,
                   "encodings": list(ALLOWED_ENCODINGS.items()), "evaluation": run.options.get("evaluation"),
                   "queued": run.status == ImportRun.Status.PENDING and "job" in run.options}
        path = Path(run.options.get("stored_path", ""))
        if path.is_file():
            spec = import_specs()[run.kind]
            try:
                encoding, header, _delimiter = sniff(path, run.encoding or run.options.get("encoding") or None)
                context.update(encoding=encoding, mapping=list(mapping_for(spec, header, run.options.get("mapping"))
                                                               .items()), fields=[c.name for c in spec.columns],
                               presets=ImportMappingPreset.objects.filter(kind=run.kind))
            except (ImportAborted, OSError) as exc:
                context["read_error"] = getattr(exc, "message", str(exc))
        template = "core/partials/import_status.html" if request.htmx else "core/import_detail.html"
        return render(request, template, context, status=status)


class ImportErrorsView(RoleRequiredMixin, View):
    allowed_roles = ADMINS

    def get(self, request, pk: int):
        run = get_object_or_404(ImportRun, pk=pk)
        path = errors_path(run)
        if not path.is_file():
            raise Http404("no error report")
        return FileResponse(open(path, "rb"), as_attachment=True, filename=f"import-{run.id}-errors.csv",  # noqa: SIM115
                            content_type="text/csv; charset=utf-8")
