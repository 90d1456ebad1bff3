"""The handoff rules editor (managers and admins) and the business calendar page (admins edit, managers read):
docs/rules.md §8. Thin: forms validate, handoffs.services and core.settings_services write (versioned, audited),
handoffs.rules_preview reads the 90-day figures."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from core.choices import Role, State
from core.models import AuditEntry, BusinessSettings, ClosedDay
from core.permissions import MANAGERS, RoleRequiredMixin
from core.settings_services import business_settings_update, closed_day_add, closed_day_remove
from core.timeutil import business_today
from core.versioning import StaleVersion, conflict_message

from .calendar import BusinessCalendar, holidays_ahead
from .domain import RuleSpec
from .forms import MODEL_HELP, CalendarSettingsForm, ClosedDayForm, HandoffRuleForm, RuleMoveForm
from .models import HandoffRule
from .rules_preview import handoffs_by_rule, rule_preview, window_start
from .services import handoff_rule_create, handoff_rule_delete, handoff_rule_move, handoff_rule_update

ADMINS = (Role.ADMIN,)
AHEAD_DAYS = 90  # the calendar page lists the holidays and closed days of the next 90 days
HISTORY_LABELS = {"handoff_rule.create": _lazy("created"), "handoff_rule.update": _lazy("changed"),
                  "handoff_rule.delete": _lazy("deleted"), "handoff_rule.move": _lazy("moved")}


def _field_labels(form) -> dict[str, str]:
    return {name: str(field.label) for name, field in form.fields.items()}


class RulesView(RoleRequiredMixin, View):
    """The rules in order, each with the handoffs it created in the last 90 days and one-click moves."""

    allowed_roles = MANAGERS
    template_name = "handoffs/rules.html"

    def get(self, request):
        rules = list(HandoffRule.objects.order_by("order", "id"))
        since = window_start()
        created = handoffs_by_rule(since=since)
        for index, rule in enumerate(rules):
            rule.created_90d = created.get(rule.pk, 0)
            rule.above = rules[index - 1] if index > 0 else None
            rule.below = rules[index + 1] if index + 1 < len(rules) else None
            rule.from_state_labels = [State(state).label for state in rule.from_states if state in State.values]
        history = list(AuditEntry.objects.filter(object_type="handoff_rule").select_related("actor")[:10])
        names = {str(rule.pk): str(rule) for rule in rules}
        for entry in history:
            entry.label = HISTORY_LABELS.get(entry.action, entry.action)
            entry.rule_name = names.get(entry.object_id) or (entry.before or entry.after or {}).get("name") or "—"
        return render(request, self.template_name, {"rules": rules, "since": since, "history": history})


class RuleFormView(RoleRequiredMixin, View):
    """Create (no pk) or edit a rule. The hidden `version` keeps the save conflict-safe: a rule saved by someone else
    since the form was opened is not overwritten — the page says who changed what and keeps the input (409)."""

    allowed_roles = MANAGERS
    template_name = "handoffs/rule_form.html"

    def get(self, request, pk=None):
        rule = get_object_or_404(HandoffRule, pk=pk) if pk else None
        initial = {"version": rule.version} if rule else {"order": _next_order()}
        return self._render(request, HandoffRuleForm(instance=rule, initial=initial), rule)

    def post(self, request, pk=None):
        rule = get_object_or_404(HandoffRule, pk=pk) if pk else None
        form = HandoffRuleForm(request.POST, instance=rule)
        if not form.is_valid():
            return self._render(request, form, rule, status=400)
        if request.POST.get("action") == "check":
            return self._render(request, form, rule, preview=_preview(form, rule))
        try:
            if rule is None:
                rule = handoff_rule_create(actor=request.user, values=form.rule_values())
            else:
                rule = handoff_rule_update(rule=rule, actor=request.user, changes=form.rule_values(),
                                           expected_version=form.cleaned_data.get("version"))
        except StaleVersion as exc:
            messages.error(request, conflict_message(exc, labels=_field_labels(form)))
            return self._render(request, form, rule, status=409, current=HandoffRule.objects.get(pk=rule.pk))
        except ValidationError as exc:
            _add_errors(form, exc)
            return self._render(request, form, rule, status=400)
        messages.success(request, _("Saved: the next recompute uses this rule as version %(version)s.") % {
            "version": rule.version})
        return redirect("handoffs:rules")

    def _render(self, request, form, rule, *, preview=None, status=200, current=None):
        if current is not None:  # a stale save: the rule as saved now, beside the input kept
            current.from_state_labels = [State(s).label for s in current.from_states if s in State.values]
        return render(request, self.template_name, {
            "form": form, "rule": rule, "preview": preview, "model_help": MODEL_HELP.items(), "current": current,
        }, status=status)


def _next_order() -> int:
    last = HandoffRule.objects.order_by("-order").values_list("order", flat=True).first()
    return (last or 0) + 1


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _preview(form: HandoffRuleForm, rule: HandoffRule | None):
    values = form.rule_values()
    return rule_preview(candidate=RuleSpec(
        id=rule.pk if rule else None, name=values["name"], order=values["order"], to_state=values["to_state"],
        from_states=tuple(values["from_states"]), from_role=values["from_role"], to_role=values["to_role"],
        model=values["model"], sla_business_hours=values["sla_business_hours"], active=values["active"]))


class RulePreviewView(RoleRequiredMixin, View):
    """The "Check" button (htmx): what the rule in the form would have created in the last 90 days. POST with the
    form's fields (and `rule`, the id of the rule edited); answers the partial, or the field errors."""

    allowed_roles = MANAGERS
    template_name = "handoffs/partials/rule_preview.html"

    def post(self, request):
        rule_id = request.POST.get("rule", "")
        rule = get_object_or_404(HandoffRule, pk=rule_id) if rule_id.isdigit() else None
        form = HandoffRuleForm(request.POST, instance=rule)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form, "preview": None}, status=200)
        return render(request, self.template_name, {"form": form, "preview": _preview(form, rule)})


class RuleDeleteView(RoleRequiredMixin, View):
    """Deleting asks first (GET: the confirm page); the POST carries the version seen (409 when stale)."""

    allowed_roles = MANAGERS
    template_name = "handoffs/rule_confirm_delete.html"

    def get(self, request, pk):
        rule = get_object_or_404(HandoffRule, pk=pk)
        return render(request, self.template_name, {"rule": rule, "version": rule.version})

    def post(self, request, pk):
        rule = get_object_or_404(HandoffRule, pk=pk)
        version = request.POST.get("version", "").strip()
        if version and not version.isdigit():
            messages.error(request, _("This page could not be read: reload it and try again. Nothing was deleted."))
            return render(request, self.template_name, {"rule": rule, "version": rule.version}, status=400)
        try:
            handoff_rule_delete(rule=rule, actor=request.user, expected_version=int(version) if version else None)
        except StaleVersion as exc:
            messages.error(request, conflict_message(exc))
            return render(request, self.template_name, {"rule": rule, "version": version}, status=409)
        messages.success(request, _("Deleted the rule “%(name)s”; its handoffs keep its name.") % {"name": rule})
        return redirect("handoffs:rules")


class RuleMoveView(RoleRequiredMixin, View):
    """One click moves a rule up or down (no JS): versioned like a save, so a stale page changes nothing."""

    allowed_roles = MANAGERS

    def post(self, request, pk):
        rule = get_object_or_404(HandoffRule, pk=pk)
        form = RuleMoveForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("This move could not be read: reload the page and try again."))
            return redirect("handoffs:rules")
        try:
            handoff_rule_move(rule=rule, actor=request.user, direction=form.cleaned_data["direction"],
                              expected_version=form.cleaned_data.get("version"),
                              expected_neighbour=form.expected_neighbour())
        except StaleVersion as exc:
            messages.error(request, conflict_message(exc))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Moved “%(name)s” %(direction)s.") % {
                "name": rule, "direction": _("up") if form.cleaned_data["direction"] == "up" else _("down")})
        return redirect("handoffs:rules")


class CalendarView(RoleRequiredMixin, View):
    """The business calendar: hours, working weekdays, Japanese holidays and the extra closed days. Managers read it;
    admins change it (core.settings_services: validated, versioned, audited)."""

    allowed_roles = MANAGERS
    write_roles = ADMINS
    template_name = "handoffs/calendar.html"

    def get(self, request):
        row = BusinessSettings.load()
        return self._render(request, CalendarSettingsForm(instance=row, initial={"version": row.version}),
                            ClosedDayForm())

    def post(self, request):
        if request.POST.get("action") == "add_day":
            return self._add_day(request)
        row = BusinessSettings.load()
        form = CalendarSettingsForm(request.POST, instance=row)
        if not form.is_valid():
            return self._render(request, form, ClosedDayForm(), status=400)
        try:
            business_settings_update(actor=request.user, changes=form.settings_values(),
                                     expected_version=form.cleaned_data.get("version"))
        except StaleVersion as exc:
            messages.error(request, conflict_message(exc, labels=_field_labels(form)))
            return self._render(request, form, ClosedDayForm(), status=409)
        except ValidationError as exc:
            _add_errors(form, exc)
            return self._render(request, form, ClosedDayForm(), status=400)
        messages.success(request, _("Saved: handoffs created from now on count their SLA with this calendar."))
        return redirect("handoffs:calendar")

    def _add_day(self, request):
        row = BusinessSettings.load()
        day_form = ClosedDayForm(request.POST)
        settings_form = CalendarSettingsForm(instance=row, initial={"version": row.version})
        if not day_form.is_valid():
            return self._render(request, settings_form, day_form, status=400)
        try:
            day = closed_day_add(actor=request.user, **day_form.cleaned_data)
        except ValidationError as exc:
            _add_errors(day_form, exc)
            return self._render(request, settings_form, day_form, status=400)
        messages.success(request, _("Added %(date)s (%(name)s) as a closed day.") % {
            "date": day.date.isoformat(), "name": day.name})
        return redirect("handoffs:calendar")

    def _render(self, request, form, day_form, *, status=200):
        closed_days = list(ClosedDay.objects.all())
        ahead = holidays_ahead(calendar=BusinessCalendar.load(), start=business_today(), days=AHEAD_DAYS,
                               closed_names={day.date: day.name for day in closed_days},
                               language=get_language() or "en")
        return render(request, self.template_name, {
            "form": form, "day_form": day_form, "settings": form.instance, "closed_days": closed_days,
            "can_edit": request.user.role in ADMINS, "ahead": ahead, "ahead_days": AHEAD_DAYS,
        }, status=status)


class ClosedDayDeleteView(RoleRequiredMixin, View):
    """Removing a closed day asks first (GET: the confirm page). Admins only."""

    allowed_roles = ADMINS
    template_name = "handoffs/calendar_confirm_delete.html"

    def get(self, request, pk):
        return render(request, self.template_name, {"day": get_object_or_404(ClosedDay, pk=pk)})

    def post(self, request, pk):
        day = get_object_or_404(ClosedDay, pk=pk)
        try:
            closed_day_remove(actor=request.user, closed_day_id=day.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(date)s is no longer a closed day.") % {"date": day.date.isoformat()})
        return redirect("handoffs:calendar")
