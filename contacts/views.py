"""Log a touch from Today or the account page: one form, one service call (contacts.services.touch_log)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Account
from core.timeutil import business_today
from core.views import safe_next
from engine import worklist
from engine.views import item_context, render_today_item

from .forms import TouchLogForm
from .services import TouchLogged, touch_log


def _add_service_errors(form: TouchLogForm, exc: ValidationError) -> None:
    """Field errors from the service go next to their field; the rest on top of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _invalid(request: HttpRequest, form: TouchLogForm, *, alert_pk: int | None, default_next: str) -> HttpResponse:
    """Say what is wrong, next to the field: in the Today item (htmx) or as messages on the page it came from."""
    if request.htmx and alert_pk:
        alert = worklist.alert_item(pk=alert_pk, today=business_today())
        if alert is not None:
            context = item_context(alert, user=request.user, today=business_today(), touch_form=form)
            context.update(gone_ids=[], target_pk=alert_pk)
            return render(request, "engine/partials/today_item_response.html", context)  # htmx swaps 2xx only: errors come back as a 200 fragment
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)
    return HttpResponseRedirect(safe_next(request, default_next))


@login_required
@require_POST
def touch_log_view(request: HttpRequest, account_id: int) -> HttpResponse:
    """POST from Today (htmx: answer the item or nothing) or the account page (full page: redirect back).

    The optional `alert` field names the Today item the form belongs to.
    """
    account = get_object_or_404(Account, pk=account_id)
    alert_pk = request.POST.get("alert", "")
    alert_pk = int(alert_pk) if alert_pk.isdigit() else None
    form = TouchLogForm(request.POST, auto_id=f"a{alert_pk}_%s" if alert_pk else "id_%s")
    logged: TouchLogged | None = None
    if form.is_valid():
        try:
            logged = touch_log(
                recorded_by=request.user, account=account, kind=form.cleaned_data["kind"],
                occurred_at=form.cleaned_data.get("occurred_at"),
                channel=form.cleaned_data["channel"], content_stage=form.cleaned_data["content_stage"],
                note=form.cleaned_data["note"], performer=form.cleaned_data["performer"] or request.user,
            )
        except PermissionDenied as exc:
            # A rep naming someone else as the performer: refused, nothing stored (docs/permissions.md, touches).
            form.add_error("performer", str(exc))
        except ValidationError as exc:
            _add_service_errors(form, exc)
    default_next = reverse("accounts:detail", args=[account.pk])
    if logged is None:
        return _invalid(request, form, alert_pk=alert_pk, default_next=default_next)

    # The service re-evaluated the account at once: the alerts it closed leave the list now.
    closed = [alert.pk for alert in logged.closed_alerts]
    if closed:
        notice = _("Touch logged — %(account)s is covered now.") % {"account": account.name}
    else:
        notice = _("Touch logged for %(account)s.") % {"account": account.name}
    if request.htmx and alert_pk:
        return render_today_item(request, alert_pk, notice=notice, gone_ids=closed)
    messages.success(request, notice)
    return HttpResponseRedirect(safe_next(request, default_next))
