"""Today (every signed-in person) and the managers' alert list: thin adapters over worklist, engine.filtersets and
engine.alerts (which asks engine.access who may act)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST

from contacts.forms import TouchLogForm
from core.choices import State
from core.csvio import stream_csv
from core.models import User
from core.paging import Keys, order_by_keys, page_of
from core.permissions import MANAGERS, RoleRequiredMixin
from core.timeutil import business_today
from core.views import safe_next
from handoffs.receiving import today_handoffs

from . import worklist
from .access import access_alert, may_act_on_alert
from .alerts import alert_acknowledge, alert_reassign, alert_snooze
from .filtersets import AlertFilterSet
from .forms import ReassignForm, SnoozeForm
from .models import Alert, RecomputeRun
from .selectors import ALERT_COLUMNS, FAILURES_SHOWN, RUN_KEYS, alert_export_rows, run_failures, run_list


class ItemFields:
    """The parts of Today's items that differ only by ids, rendered once per page and given each item's ids.

    Django renders a form field through its widget templates (about a third of a millisecond a field), and a
    `{% url %}` or an `{% include %}` costs tens of microseconds: Today shows fifty items, each with a touch form
    of five fields, a snooze field and seven links, which made the page's server time mostly rendering. What is the
    same for every item but for its ids is rendered once with placeholders: the form fields, the links, and — when
    the request is given — the whole touch form (the account's name, escaped as the template would, goes in last) and
    the snooze and acknowledge forms.
    Forms with errors (an htmx answer for one item) are rendered as usual.
    """

    PLACEHOLDER = "alert0000placeholder"
    # Where an id must be digits (URL converters): an id no table reaches.
    ID_PLACEHOLDER = 987654321987654321
    NAME_PLACEHOLDER = "accountname0000placeholder"

    def __init__(self, *, today, request: HttpRequest | None = None) -> None:
        self.today = today
        self.request = request
        self.next = reverse("today")
        self._html: dict[tuple, str] = {}
        self._urls: dict[str, str] = {}

    def _fields(self, key: tuple, make_form, names: tuple[str, ...] | None, alert_pk: int) -> str:
        return mark_safe(self._fields_html(key, make_form, names).replace(self.PLACEHOLDER, str(int(alert_pk))))

    def _fields_html(self, key: tuple, make_form, names: tuple[str, ...] | None) -> str:
        if key not in self._html:
            form = make_form(f"a{self.PLACEHOLDER}_%s")
            fields = [form[name] for name in names] if names else list(form)
            self._html[key] = "".join(render_to_string("includes/field.html", {"field": f}) for f in fields)
        return self._html[key]

    def _touch_initial(self, alert: Alert) -> tuple[str, str, str]:
        """(kind, content stage, channel) the item's touch form preselects: the requirement's kind and content plan
        (engine.worklist.annotate_priority); one rendering per distinct triple."""
        return (getattr(alert, "req_kind", "") or "human", getattr(alert, "req_content_stage", "") or "",
                getattr(alert, "req_channel", "") or "")

    def _touch_fields_html(self, alert: Alert) -> str:
        kind, stage, channel = initial = self._touch_initial(alert)
        return self._fields_html(("touch", *initial), lambda auto_id: TouchLogForm(
            initial={"kind": kind, "content_stage": stage, "channel": channel}, auto_id=auto_id), None)

    def touch(self, alert: Alert) -> str:
        return mark_safe(self._touch_fields_html(alert).replace(self.PLACEHOLDER, str(int(alert.pk))))

    def touch_form(self, alert: Alert) -> str | None:
        """The item's whole touch form (includes/touch_form.html), or None without the request (for its CSRF
        token): the item then includes the template."""
        if self.request is None:
            return None
        key = ("touch_form", *self._touch_initial(alert))
        if key not in self._html:
            self._html[key] = render_to_string("includes/touch_form.html", {
                "account_id": self.ID_PLACEHOLDER, "account_name": self.NAME_PLACEHOLDER,
                "alert": {"pk": self.PLACEHOLDER}, "touch_fields": mark_safe(self._touch_fields_html(alert)),
                "next": self.next, "csrf_token": get_token(self.request),
            })
        html = (self._html[key].replace(str(self.ID_PLACEHOLDER), str(int(alert.account_id)))
                .replace(self.PLACEHOLDER, str(int(alert.pk)))
                .replace(self.NAME_PLACEHOLDER, conditional_escape(alert.account.name)))
        return mark_safe(html)

    def _snooze_parts(self) -> tuple:
        return ("snooze",), lambda auto_id: SnoozeForm(today=self.today, auto_id=auto_id), ("until",)

    def snooze(self, alert: Alert) -> str:
        return self._fields(*self._snooze_parts(), alert.pk)

    def actions(self, alert: Alert) -> str | None:
        """The item's snooze and acknowledge forms (engine/partials/today_item_actions.html), or None without the
        request: the item then includes the template."""
        if self.request is None:
            return None
        key = ("actions", bool(alert.acknowledged_at))
        if key not in self._html:
            self._html[key] = render_to_string("engine/partials/today_item_actions.html", {
                "alert": {"pk": self.PLACEHOLDER, "acknowledged_at": key[1]},
                "urls": {"snooze": self.url("engine:alert-snooze", self.ID_PLACEHOLDER),
                         "acknowledge": self.url("engine:alert-acknowledge", self.ID_PLACEHOLDER)},
                "snooze_fields": mark_safe(self._fields_html(*self._snooze_parts())),
                "next": self.next, "csrf_token": get_token(self.request),
            })
        pk = str(int(alert.pk))
        return mark_safe(self._html[key].replace(str(self.ID_PLACEHOLDER), pk).replace(self.PLACEHOLDER, pk))

    def url(self, name: str, pk: int) -> str:
        """`reverse(name, args=[pk])`, reversed once per page."""
        if name not in self._urls:
            self._urls[name] = reverse(name, args=[self.ID_PLACEHOLDER])
        return self._urls[name].replace(str(self.ID_PLACEHOLDER), str(int(pk)))


def item_context(alert: Alert, *, user, today, touch_form=None, snooze_form=None, notice: str = "",
                 fields: ItemFields | None = None) -> dict:
    fields = fields or ItemFields(today=today)
    context = {
        "alert": alert,
        "reason": worklist.reason_for(alert),
        "can_manage": may_act_on_alert(user, alert),
        "today": today,
        "notice": notice,
        "next": fields.next,
        "urls": {
            "account": fields.url("accounts:detail", alert.account_id),
            "snooze": fields.url("engine:alert-snooze", alert.pk),
            "acknowledge": fields.url("engine:alert-acknowledge", alert.pk),
        },
    }
    if touch_form is None:
        context["touch_html"] = fields.touch_form(alert)
        if context["touch_html"] is None:
            context["touch_fields"] = fields.touch(alert)
    else:
        context["touch_form"] = touch_form
    if snooze_form is None:
        context["snooze_fields"] = fields.snooze(alert)
        if context["can_manage"]:
            context["actions_html"] = fields.actions(alert)
    else:
        context["snooze_form"] = snooze_form
    return context


class TodayView(RoleRequiredMixin, View):
    """The signed-in person's open, unsnoozed alerts, most urgent first (engine.worklist); above them, on the first
    page, the handoffs waiting for the person and their handoff alerts (handoffs.receiving)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        # The business zone is the request's (core.middleware activates it): no second read of the settings.
        today = business_today(timezone.get_current_timezone())
        queue = request.GET.get("queue") == "1"
        first_page = not request.GET.get("after")
        page = page_of(
            worklist.today_alerts(user=request.user, today=today, queue=queue),
            keys=worklist.PRIORITY_KEYS, cursor=request.GET.get("after"), size=worklist.PAGE_SIZE,
        )
        fields = ItemFields(today=today, request=request)
        items = [item_context(a, user=request.user, today=today, fields=fields) for a in page.items]
        return render(request, "engine/today.html", {
            "items": items, "queue": queue, "today": today, "next_cursor": page.next_cursor,
            "first_page": first_page,
            # The handoffs addressed to the user and their handoff alerts, at the top of the first page.
            "handoffs": today_handoffs(user=request.user) if first_page else None,
            "here": request.get_full_path(),
        })


def render_today_item(request: HttpRequest, alert_pk: int, *, notice: str, gone_ids: Sequence[int] = (), **forms) -> HttpResponse:
    """htmx answer for one Today item: the item again while it is still on the list, else nothing (it leaves);
    `gone_ids` are other items that leave with it."""
    today = business_today()
    alert = worklist.alert_item(pk=alert_pk, today=today)
    context = {"notice": notice, "gone_ids": list(gone_ids), "target_pk": alert_pk}
    if alert is not None and worklist.on_today(request.user, alert, today=today):
        context.update(item_context(alert, user=request.user, today=today, notice=notice, **forms))
    return render(request, "engine/partials/today_item_response.html", context)


@login_required
@require_POST
def alert_acknowledge_view(request: HttpRequest, pk: int) -> HttpResponse:
    alert = alert_acknowledge(alert_id=pk, actor=request.user)
    notice = _("Acknowledged: %(account)s") % {"account": alert.account.name}
    if request.htmx:
        return render_today_item(request, alert.pk, notice=notice)
    messages.success(request, notice)
    return HttpResponseRedirect(safe_next(request, reverse("today")))


@login_required
@require_POST
def alert_snooze_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = SnoozeForm(request.POST, today=business_today(), auto_id=f"a{pk}_%s")
    alert = None
    if form.is_valid():
        try:
            alert = alert_snooze(alert_id=pk, actor=request.user, until=form.cleaned_data["until"])
        except ValidationError as exc:
            form.add_error("until", exc)
    if alert is None:
        # The form's errors are for those who may act on the alert: anyone else gets the 404 of a missing alert.
        access_alert(user=request.user, alert_id=pk, for_action=True)
        if request.htmx:
            return render_today_item(request, pk, notice="", snooze_form=form)
        for error in form.errors.get("until", []):
            messages.error(request, error)
        return HttpResponseRedirect(safe_next(request, reverse("today")))
    notice = _("Snoozed until %(date)s: %(account)s") % {"date": form.cleaned_data["until"].isoformat(), "account": alert.account.name}
    if request.htmx:
        return render_today_item(request, alert.pk, notice=notice)
    messages.success(request, notice)
    return HttpResponseRedirect(safe_next(request, reverse("today")))


def filtered_open_alerts(request: HttpRequest, *, users: list[User]) -> tuple[AlertFilterSet, QuerySet[Alert]]:
    """The managers' list: open alerts through the one AlertFilterSet (the API's), bound to the query string."""
    base = Alert.objects.filter(status=Alert.Status.OPEN).select_related("account", "assignee")
    filterset = AlertFilterSet(request.GET or None, queryset=base, request=request)
    filterset.offer_choices(users=users)
    # A filter that does not validate (an edited link) shows every open alert, as the page always did.
    return filterset, filterset.qs if filterset.is_valid() else base


class AlertListView(RoleRequiredMixin, View):
    """Managers: open alerts by team, responsible role, assignee and state, with bulk reassign and a CSV export."""

    allowed_roles = MANAGERS
    page_size = 100
    keys: Keys = (("opened_on", False), ("id", False))

    def get(self, request: HttpRequest, reassign_form: ReassignForm | None = None) -> HttpResponse:
        users = list(User.objects.filter(is_active=True).order_by("username"))
        filterset, qs = filtered_open_alerts(request, users=users)
        page = page_of(order_by_keys(qs, self.keys), keys=self.keys, cursor=request.GET.get("after"), size=self.page_size)
        query = request.GET.copy()
        query.pop("after", None)
        return render(request, "engine/alerts.html", {
            "filter_fields": filterset.page_fields, "alerts": page.items, "next_cursor": page.next_cursor,
            "users": users, "query": query.urlencode(), "reassign_form": reassign_form,
            "first_page": not request.GET.get("after"),
        }, status=400 if reassign_form is not None else 200)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ReassignForm(request.POST)
        if not form.is_valid():
            return self.get(request, reassign_form=form)
        count = alert_reassign(alerts=list(form.cleaned_data["alerts"]), assignee=form.cleaned_data["assignee"], actor=request.user)
        messages.success(request, _("%(count)s alerts reassigned to %(user)s.") % {"count": count, "user": form.cleaned_data["assignee"]})
        return HttpResponseRedirect(safe_next(request, reverse("engine:alerts")))


class AlertExportView(RoleRequiredMixin, View):
    """The managers' filtered list as CSV, in the columns of export_alerts, streamed."""

    allowed_roles = MANAGERS

    def get(self, request: HttpRequest) -> StreamingHttpResponse:
        _filterset, qs = filtered_open_alerts(request, users=[])

        def stream() -> Iterator[str]:
            yield "\ufeff"  # BOM: Excel opens UTF-8 with Japanese text correctly
            yield from stream_csv(ALERT_COLUMNS, alert_export_rows(qs))

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="alerts.csv"'
        return response


def run_duration(run: RecomputeRun) -> str:
    """How long a finished run took, as H:MM:SS ("" while it runs)."""
    if run.finished_at is None or run.started_at is None:
        return ""
    seconds = max(0, int((run.finished_at - run.started_at).total_seconds()))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class RunListView(RoleRequiredMixin, View):
    """Admins and managers: the nightly runs, newest first — their mode, status, figures, duration and how many
    accounts failed (engine.RecomputeFailure; the list is on each run's page)."""

    allowed_roles = MANAGERS
    page_size = 50

    def get(self, request: HttpRequest) -> HttpResponse:
        page = page_of(order_by_keys(run_list(), RUN_KEYS), keys=RUN_KEYS, cursor=request.GET.get("after"),
                       size=self.page_size)
        return render(request, "engine/runs.html", {
            "runs": [(run, run_duration(run)) for run in page.items], "next_cursor": page.next_cursor,
            "first_page": not request.GET.get("after"),
        })


class RunDetailView(RoleRequiredMixin, View):
    """One run: its figures, its error when it failed, and the accounts whose evaluation failed, with their errors."""

    allowed_roles = MANAGERS

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = get_object_or_404(RecomputeRun.objects.select_related("figures"), pk=pk)
        return render(request, "engine/run_detail.html", {
            "run": run, "duration": run_duration(run), "failures": run_failures(run),
            "failures_not_shown": max(0, run.failed_accounts - FAILURES_SHOWN),
            "by_state": [(label, run.counts_by_state[state]) for state, label in State.choices
                         if run.counts_by_state.get(state)],
        })
