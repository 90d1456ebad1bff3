"""Today (every signed-in person) and the managers' alert list: thin adapters over worklist and engine.alerts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST

from contacts.forms import TouchLogForm
from core.permissions import MANAGERS, RoleRequiredMixin
from core.timeutil import business_today
from core.views import safe_next

from . import worklist
from .forms import AlertFilterForm, ReassignForm, SnoozeForm
from .models import Alert


class ItemFields:
    """The fields of the items' touch and snooze forms, rendered once per page and given each item's ids.

    Django renders a form field through its widget templates (about a third of a millisecond a field); Today shows
    fifty items of five fields, which made the page's server time mostly form rendering. Fields without a bound
    value are the same for every item but for their ids, so each variant is rendered once with a placeholder.
    Forms with errors (an htmx answer for one item) are rendered as usual.
    """

    PLACEHOLDER = "alert0000placeholder"

    def __init__(self, *, today) -> None:
        self.today = today
        self._html: dict[tuple, str] = {}

    def _fields(self, key: tuple, make_form, names: tuple[str, ...] | None, alert_pk: int) -> str:
        if key not in self._html:
            form = make_form(f"a{self.PLACEHOLDER}_%s")
            fields = [form[name] for name in names] if names else list(form)
            self._html[key] = "".join(render_to_string("includes/field.html", {"field": f}) for f in fields)
        return mark_safe(self._html[key].replace(self.PLACEHOLDER, str(int(alert_pk))))

    def touch(self, alert: Alert) -> str:
        kind = getattr(alert, "req_kind", "") or "human"
        return self._fields(("touch", kind), lambda auto_id: TouchLogForm(initial={"kind": kind}, auto_id=auto_id),
                            None, alert.pk)

    def snooze(self, alert: Alert) -> str:
        return self._fields(("snooze",), lambda auto_id: SnoozeForm(today=self.today, auto_id=auto_id),
                            ("until",), alert.pk)


def item_context(alert: Alert, *, user, today, touch_form=None, snooze_form=None, notice: str = "",
                 fields: ItemFields | None = None) -> dict:
    context = {
        "alert": alert,
        "reason": worklist.reason_for(alert),
        "can_manage": worklist.can_manage_alert(user, alert),
        "today": today,
        "notice": notice,
        "next": reverse("today"),
    }
    fields = fields or ItemFields(today=today)
    if touch_form is None:
        context["touch_fields"] = fields.touch(alert)
    else:
        context["touch_form"] = touch_form
    if snooze_form is None:
        context["snooze_fields"] = fields.snooze(alert)
    else:
        context["snooze_form"] = snooze_form
    return context


class TodayView(RoleRequiredMixin, View):
    """The signed-in person's open, unsnoozed alerts, most urgent first (engine.worklist)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        today = business_today()
        queue = request.GET.get("queue") == "1"
        page = worklist.page_of(
            worklist.today_alerts(user=request.user, today=today, queue=queue),
            keys=worklist.PRIORITY_KEYS, cursor=request.GET.get("after"), size=worklist.PAGE_SIZE,
        )
        fields = ItemFields(today=today)
        items = [item_context(a, user=request.user, today=today, fields=fields) for a in page.items]
        return render(request, "engine/today.html", {
            "items": items, "queue": queue, "today": today, "next_cursor": page.next_cursor,
            "first_page": not request.GET.get("after"),
        })


def _render_item_or_gone(request: HttpRequest, alert_pk: int, *, notice: str, **forms) -> HttpResponse:
    """htmx answer for one Today item: the item again while it is still on the list, else nothing (it leaves)."""
    today = business_today()
    alert = worklist.alert_item(pk=alert_pk, today=today)
    still_listed = (
        alert is not None and alert.status == Alert.Status.OPEN
        and (alert.snoozed_until is None or alert.snoozed_until <= today)
        and worklist.can_see_alert(request.user, alert)
    )
    context = {"notice": notice, "gone_ids": [], "target_pk": alert_pk}
    if still_listed:
        context.update(item_context(alert, user=request.user, today=today, notice=notice, **forms))
    return render(request, "engine/partials/today_item_response.html", context)


def _alert_for_action(request: HttpRequest, pk: int) -> Alert:
    alert = get_object_or_404(Alert.objects.select_related("account"), pk=pk)
    if not worklist.can_manage_alert(request.user, alert):
        raise PermissionDenied(_("Only the alert's assignee or a manager may change it."))
    return alert


@login_required
@require_POST
def alert_acknowledge_view(request: HttpRequest, pk: int) -> HttpResponse:
    from engine.alerts import alert_acknowledge

    alert = _alert_for_action(request, pk)
    alert_acknowledge(alert=alert, actor=request.user)
    notice = _("Acknowledged: %(account)s") % {"account": alert.account.name}
    if request.htmx:
        return _render_item_or_gone(request, alert.pk, notice=notice)
    messages.success(request, notice)
    return HttpResponseRedirect(safe_next(request, reverse("today")))


@login_required
@require_POST
def alert_snooze_view(request: HttpRequest, pk: int) -> HttpResponse:
    from engine.alerts import alert_snooze

    alert = _alert_for_action(request, pk)
    today = business_today()
    form = SnoozeForm(request.POST, today=today, auto_id=f"a{alert.pk}_%s")
    if form.is_valid():
        try:
            alert_snooze(alert=alert, actor=request.user, until=form.cleaned_data["until"])
        except ValidationError as exc:
            form.add_error("until", exc)
    if form.errors:
        if request.htmx:
            return _render_item_or_gone(request, alert.pk, notice="", snooze_form=form)
        for error in form.errors.get("until", []):
            messages.error(request, error)
        return HttpResponseRedirect(safe_next(request, reverse("today")))
    notice = _("Snoozed until %(date)s: %(account)s") % {"date": form.cleaned_data["until"].isoformat(), "account": alert.account.name}
    if request.htmx:
        return _render_item_or_gone(request, alert.pk, notice=notice)
    messages.success(request, notice)
    return HttpResponseRedirect(safe_next(request, reverse("today")))


class AlertListView(RoleRequiredMixin, View):
    """Managers: open alerts by team, responsible role, assignee and state, with bulk reassign."""

    allowed_roles = MANAGERS
    page_size = 100
    keys = (("opened_on", False), ("id", False))

    def filter_form(self, request: HttpRequest) -> AlertFilterForm:
        User = get_user_model()
        users = list(User.objects.filter(is_active=True).order_by("username"))
        teams = sorted({u.team for u in users if u.team})
        self.users = users
        return AlertFilterForm(request.GET or None, teams=teams, users=users)

    def get(self, request: HttpRequest, reassign_form: ReassignForm | None = None) -> HttpResponse:
        form = self.filter_form(request)
        qs = Alert.objects.filter(status=Alert.Status.OPEN).select_related("account", "assignee")
        if form.is_valid():
            data = form.cleaned_data
            if data.get("team"):
                qs = qs.filter(assignee__team=data["team"])
            if data.get("role"):
                qs = qs.filter(responsible_role=data["role"])
            if data.get("assignee") == "none":
                qs = qs.filter(assignee__isnull=True)
            elif data.get("assignee"):
                qs = qs.filter(assignee_id=int(data["assignee"]))
            if data.get("state"):
                qs = qs.filter(state=data["state"])
        qs = qs.order_by(*[("-" if d else "") + k for k, d in self.keys])
        page = worklist.page_of(qs, keys=self.keys, cursor=request.GET.get("after"), size=self.page_size)
        query = request.GET.copy()
        query.pop("after", None)
        return render(request, "engine/alerts.html", {
            "form": form, "alerts": page.items, "next_cursor": page.next_cursor, "users": self.users,
            "query": query.urlencode(), "reassign_form": reassign_form, "first_page": not request.GET.get("after"),
        }, status=400 if reassign_form is not None else 200)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ReassignForm(request.POST)
        if not form.is_valid():
            return self.get(request, reassign_form=form)
        from engine.alerts import alert_reassign

        count = alert_reassign(alerts=list(form.cleaned_data["alerts"]), assignee=form.cleaned_data["assignee"], actor=request.user)
        messages.success(request, _("%(count)s alerts reassigned to %(user)s.") % {"count": count, "user": form.cleaned_data["assignee"]})
        return HttpResponseRedirect(safe_next(request, reverse("engine:alerts")))
