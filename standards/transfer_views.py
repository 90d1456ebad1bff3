"""Export and import of the whole coverage standard (standards.transfer; docs/api.md §5)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import View

from core.permissions import MANAGERS, RoleRequiredMixin

from .forms import ImportForm
from .transfer import ImportInvalid, export_csv, export_json, parse_csv, parse_json, standards_import

# An import file is a few dozen rows; anything far larger is not a standard.
MAX_IMPORT_BYTES = 1_000_000


class ExportView(RoleRequiredMixin, View):
    allowed_roles = MANAGERS

    def get(self, request, fmt: str):
        if fmt == "csv":
            body = export_csv(japanese=translation.get_language().startswith("ja"))
            response = HttpResponse(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
        elif fmt == "json":
            response = HttpResponse(export_json().encode("utf-8"), content_type="application/json; charset=utf-8")
        else:
            raise Http404
        response["Content-Disposition"] = f'attachment; filename="coverage-standard.{fmt}"'
        return response


def _decode(upload) -> str:
    raw = upload.read(MAX_IMPORT_BYTES + 1)
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportInvalid([_("The file is larger than %(n)d bytes.") % {"n": MAX_IMPORT_BYTES}])
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportInvalid([_("The file is neither UTF-8 nor Shift_JIS text.")])


class ImportView(RoleRequiredMixin, View):
    allowed_roles = MANAGERS

    def get(self, request):
        return render(request, "standards/import.html", {"form": ImportForm()})

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, "standards/import.html", {"form": form}, status=400)
        upload = form.cleaned_data["file"]
        try:
            text = _decode(upload)
            as_json = upload.name.lower().endswith(".json") or text.lstrip().startswith(("{", "["))
            items = parse_json(text) if as_json else parse_csv(text)
            changed = standards_import(items=items, actor=request.user, comment=form.cleaned_data["comment"],
                                       csv_lines=not as_json)
        except ImportInvalid as exc:
            return render(request, "standards/import.html", {"form": form, "errors": exc.errors}, status=400)
        messages.success(request, _("Imported: %(n)d standard(s) changed; nothing else was touched.") % {"n": changed})
        return redirect("standards:editor")
