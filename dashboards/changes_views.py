"""What changed overnight: the page and its CSV exports (dashboards.changes; docs/rules.md §3, §5, §8)."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from core.csvio import stream_csv
from core.permissions import EVERYONE, RoleRequiredMixin

from .changes import (
    LIST_LABELS,
    SCOPE_LABELS,
    ChangesError,
    csv_header,
    csv_rows,
    night_changes,
    resolve_choices,
)


class ChangesPage(RoleRequiredMixin, View):
    """The night's transitions, alerts opened and resolved, and handoffs created, for the reader's accounts, team or
    everyone; `?list=…` shows one list in full, page by page; `?format=csv&list=…` exports it."""

    allowed_roles = EVERYONE

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            scope, as_of, only, before = resolve_choices(request.user, request.GET)
            error = None
        except ChangesError as exc:
            scope = as_of = only = before = None
            error = f"{exc.field}: {exc.message}"
        if error is None and request.GET.get("format") == "csv":
            if only is None or as_of is None:
                error = "list: " + _("Choose the list to export on a night (transitions, alerts_opened, "
                                     "alerts_resolved or handoffs).")
            else:
                return _csv_response(request, scope=scope, as_of=as_of, name=only)
        if error is not None:
            return render(request, "dashboards/changes.html",
                          {"error": error, "raw_as_of": request.GET.get("as_of", "")}, status=400)
        night = night_changes(request.user, as_of=as_of, scope=scope, only=only, before=before)
        return render(request, "dashboards/changes.html", {
            "night": night, "only": only, "only_label": LIST_LABELS.get(only or "", ""),
            "scopes": [(name, SCOPE_LABELS[name]) for name in night.scopes],
            "raw_as_of": request.GET.get("as_of", ""), "as_of": as_of, "scope": scope,
        })


def _csv_response(request: HttpRequest, *, scope: str, as_of, name: str) -> StreamingHttpResponse:
    header, user = csv_header(name), request.user

    def stream() -> Iterator[str]:
        yield "\ufeff"  # BOM: Excel opens UTF-8 with Japanese text correctly
        yield from stream_csv(header, csv_rows(user, name=name, as_of=as_of, scope=scope))

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="changes-{as_of.isoformat()}-{name}.csv"'
    return response
