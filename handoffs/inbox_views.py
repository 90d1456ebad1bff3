"""The handoff inbox (/handoffs/, docs/rules.md §8) and its actions: accept, reject, reassign, acknowledge a
handoff alert. Thin: reads from handoffs.inbox, writes through handoffs.services (which ask handoffs.access who may).

The actions take a `next` (kept to this site: core.views.safe_next) so Today and the account page post to them too.
An htmx request from the inbox (its target an inbox item) is answered with that item again; an htmx request from
another page is sent back to `next` (HX-Redirect), its message shown there.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View

from core.models import User
from core.permissions import MANAGERS, RoleRequiredMixin
from core.views import safe_next

from . import inbox
from .access import access_handoff
from .calendar import BusinessCalendar
from .filtersets import HandoffFilterSet
from .forms import HandoffReassignForm, HandoffRejectForm
from .models import Handoff, HandoffRule
from .services import handoff_accept, handoff_alert_acknowledge, handoff_reassign, handoff_reject


def _back(request: HttpRequest, *, notice: str, error: bool) -> HttpResponse:
    """The outcome as a message, then back where the action came from (`next`, the inbox by default): a redirect,
    or for htmx an HX-Redirect the page follows."""
    (messages.error if error else messages.success)(request, notice)
    target = safe_next(request, reverse("handoffs:list"))
    if request.htmx:
        response = HttpResponse(status=200)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target)


class RowActions:
    """Each row's action forms (accept, reject; reassign for managers), rendered once per page with a placeholder id
    and given each row's id — as Today's items are (engine.views.ItemFields): fifty rows of forms rendered one by one
    were most of the page's time. A reject form with errors (an htmx answer) is rendered as usual."""

    ID = 987654321987654321  # an id no table reaches, digits for the URL converters

    def __init__(self, request: HttpRequest, *, next_url: str) -> None:
        self.request, self.next = request, next_url
        self.manager = request.user.role in MANAGERS
        self._html: dict[tuple, str] = {}

    def _render(self, template: str, pk: int, **context) -> str:
        urls = {name: reverse(f"handoffs:{name}", args=[pk]) for name in ("accept", "reject", "reassign")}
        return render_to_string(template, {"pk": pk, "urls": urls, "next": self.next,
                                           "reasons": Handoff.RejectReason.choices, **context}, request=self.request)

    def _cached(self, key: tuple, template: str, pk: int, **context) -> str:
        if key not in self._html:
            self._html[key] = self._render(template, self.ID, **context)
        return self._html[key].replace(str(self.ID), str(int(pk)))

    def fill(self, row: inbox.InboxRow, *, reject_form: HandoffRejectForm | None = None) -> inbox.InboxRow:
        handoff = row.handoff
        html = ""
        if row.may_decide:
            html = (self._render("handoffs/partials/inbox_decide.html", handoff.pk, reject_form=reject_form)
                    if reject_form is not None else self._cached(("decide",), "handoffs/partials/inbox_decide.html",
                                                                 handoff.pk))
        if self.manager and row.reassign_to:
            options = self._cached(("reassign", handoff.to_role), "handoffs/partials/inbox_reassign.html", handoff.pk,
                                   candidates=row.reassign_to)
            if handoff.assignee_id:
                current = f'value="{int(handoff.assignee_id)}"'
                options = options.replace(current, f"{current} selected", 1)
            html += options
        row.actions_html = mark_safe(html)
        return row


def filter_controls(filterset: HandoffFilterSet, *, manager: bool) -> list[dict]:
    """The filter drop-downs as plain data for the page's loop: a select rendered through Django's widget templates
    costs a template per option (the sender and receiver lists hold every active person)."""
    controls = []
    for bound in filterset.page_fields(manager=manager):
        value = "" if bound.value() is None else str(bound.value())
        controls.append({
            "name": bound.html_name, "id": f"filter-{bound.html_name}", "label": bound.label, "errors": bound.errors,
            "options": [(str(code), label, str(code) == value) for code, label in bound.field.widget.choices],
        })
    return controls


def _errors(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def _inbox_context(request: HttpRequest, *, tab: str) -> dict:
    user = request.user
    manager = user.role in MANAGERS
    data = request.GET.copy()
    if "status" not in data and tab != "sent":
        data["status"] = Handoff.Status.PENDING  # an inbox is what waits; "All" shows the rest
    base = inbox.inbox_handoffs(user=user, tab=tab)
    filterset = HandoffFilterSet(data, queryset=base, request=request)
    users = list(User.objects.filter(is_active=True).order_by("username")) if manager else []
    filterset.offer_choices(rule_names=list(HandoffRule.objects.order_by("order", "id").values_list("name", flat=True)),
                            users=users)
    valid = filterset.is_valid()
    # A filter that does not validate (an edited link) shows the tab's pending handoffs, its errors beside it.
    handoffs = filterset.qs if valid else base.filter(status=Handoff.Status.PENDING)
    status = filterset.form.cleaned_data.get("status") if valid else Handoff.Status.PENDING
    page = inbox.inbox_page(user=user, handoffs=handoffs, status=status or None, cursor=request.GET.get("after"),
                            candidates=inbox.candidates_by_role(users), calendar=BusinessCalendar.load())
    actions = RowActions(request, next_url=request.get_full_path())
    for row in page.rows:
        actions.fill(row)
    query = request.GET.copy()
    query.pop("after", None)
    query["tab"] = tab
    alerts = inbox.my_open_handoff_alerts(user)
    return {
        "tab": tab, "tabs": inbox.inbox_tabs(user), "filters": filter_controls(filterset, manager=manager),
        "rows": page.rows, "next_cursor": page.next_cursor, "query": query.urlencode(),
        "first_page": not request.GET.get("after"), "alerts": [(a, inbox.alert_sentence(a)) for a in alerts],
        "next": request.get_full_path(), "words": inbox.row_words(),
    }


class InboxView(RoleRequiredMixin, View):
    """Every signed-in role: my handoffs, my role's unassigned ones, those I sent and — managers, admins — the
    team's, filtered by rule, state, sender, receiver and status; my open handoff alerts at the top."""

    def get(self, request: HttpRequest) -> HttpResponse:
        tabs = [name for name, _label in inbox.inbox_tabs(request.user)]
        tab = request.GET.get("tab") if request.GET.get("tab") in tabs else inbox.default_tab(request.user)
        context = _inbox_context(request, tab=tab)
        if request.htmx and not request.htmx.boosted:
            return render(request, "handoffs/partials/inbox_list.html", context)
        return render(request, "handoffs/inbox.html", context)


class _HandoffAction(RoleRequiredMixin, View):
    """A POST on one handoff; answered as the module docstring says."""

    def answer(self, request: HttpRequest, pk: int, *, notice: str, error: bool = False,
               reject_form: HandoffRejectForm | None = None) -> HttpResponse:
        if request.htmx and request.htmx.target == f"handoff-{pk}":
            row = inbox.inbox_row(user=request.user, handoff_id=pk)
            if row is not None:
                RowActions(request, next_url=safe_next(request, reverse("handoffs:list"))).fill(
                    row, reject_form=reject_form)
            return render(request, "handoffs/partials/inbox_item_response.html", {
                "row": row, "notice": notice, "error": error, "words": inbox.row_words()})
        return _back(request, notice=notice, error=error)


class HandoffAcceptView(_HandoffAction):
    """The receiver (the assignee, anyone of to_role when unassigned) or a manager; anyone else: 404."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            handoff = handoff_accept(handoff_id=pk, actor=request.user)
        except ValidationError as exc:
            return self.answer(request, pk, notice=_errors(exc), error=True)
        return self.answer(request, pk, notice=_("Accepted: %(account)s — you are its owner as %(role)s now.") % {
            "account": handoff.account.name, "role": handoff.get_to_role_display()})


class HandoffRejectView(_HandoffAction):
    """A reason (required) and a comment; who may: as accept (anyone else: 404)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = HandoffRejectForm(request.POST, auto_id=f"h{pk}_%s")
        if not form.is_valid():
            access_handoff(user=request.user, handoff_id=pk)  # the form's errors are for those who may decide
            return self.answer(request, pk, notice=_errors(ValidationError(
                [e for errors in form.errors.values() for e in errors])), error=True, reject_form=form)
        try:
            handoff = handoff_reject(handoff_id=pk, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            return self.answer(request, pk, notice=_errors(exc), error=True)
        return self.answer(request, pk, notice=_("Rejected: %(account)s — returned to %(role)s with your reason.") % {
            "account": handoff.account.name, "role": handoff.get_from_role_display()})


class HandoffReassignView(_HandoffAction):
    """Managers and admins: give a pending handoff to an active person of its to_role."""

    allowed_roles = MANAGERS

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = HandoffReassignForm(request.POST)
        if not form.is_valid():
            access_handoff(user=request.user, handoff_id=pk)
            return self.answer(request, pk, notice=_errors(ValidationError(form.errors["assignee"])), error=True)
        try:
            handoff = handoff_reassign(handoff_id=pk, actor=request.user, assignee=form.cleaned_data["assignee"])
        except ValidationError as exc:
            return self.answer(request, pk, notice=_errors(exc), error=True)
        return self.answer(request, pk, notice=_("Reassigned: %(account)s — to %(person)s.") % {
            "account": handoff.account.name, "person": form.cleaned_data["assignee"]})


class HandoffAlertAcknowledgeView(RoleRequiredMixin, View):
    """Its recipient, anyone of its queue's role, or a manager; anyone else: 404."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            alert = handoff_alert_acknowledge(alert_id=pk, actor=request.user)
            notice, error = _("Acknowledged: %(account)s") % {"account": alert.handoff.account.name}, False
        except ValidationError as exc:
            notice, error = _errors(exc), True
        if request.htmx and request.htmx.target == f"handoff-alert-{pk}":
            return render(request, "handoffs/partials/inbox_alert_response.html", {"notice": notice, "error": error})
        return _back(request, notice=notice, error=error)
