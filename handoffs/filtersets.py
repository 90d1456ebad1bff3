"""One FilterSet for handoffs, shared by the inbox page (/handoffs/) and the API list (`handoffs/`)."""

from __future__ import annotations

from collections.abc import Sequence

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from core.api.filters import IdChoiceFilter, IdFilter
from core.choices import State
from core.models import User
from handoffs.models import Handoff

ALL = ("", _("All"))


def _user_filter(field_name: str, label) -> IdChoiceFilter:
    # A user id, or `none` for handoffs without one.
    return extend_schema_field({"type": "string", "pattern": r"^([0-9]{1,18}|none)$"})(IdChoiceFilter(
        field_name=field_name, queryset=User.objects.all(), null_value="none", null_label=_("Nobody"), label=label))


class HandoffFilterSet(django_filters.FilterSet):
    """Handoffs by rule (its name, kept when the rule is deleted), state (the new state), sender, receiver
    (`none`: unassigned) and status. The API also takes `assignee` (an id), `to_role` and `to_state`."""

    assignee = IdFilter(field_name="assignee_id")
    rule = django_filters.CharFilter(field_name="rule_name", label=_("Rule"))
    state = django_filters.ChoiceFilter(field_name="to_state", choices=State.choices, label=_("State"),
                                        empty_label=ALL[1])
    sender = _user_filter("sender", _("Sender"))
    receiver = _user_filter("assignee", _("Receiver"))
    status = django_filters.ChoiceFilter(choices=Handoff.Status.choices, label=_("Status"), empty_label=ALL[1])

    # The fields the inbox shows, in its order (reps: those that need no list of people).
    PAGE_FIELDS = ("rule", "state", "sender", "receiver", "status")
    REP_PAGE_FIELDS = ("rule", "state", "status")

    class Meta:
        model = Handoff
        fields = ["status", "assignee", "to_role", "to_state", "rule", "state", "sender", "receiver"]

    def offer_choices(self, *, rule_names: Sequence[str], users: Sequence[User]) -> None:
        """The page's drop-downs: the rules' names and the active users (validation still takes any value)."""
        self.form.fields["rule"].widget = forms.Select(choices=[ALL, *[(name, name) for name in rule_names]])
        people = [(str(u.pk), str(u)) for u in users]
        self.form.fields["sender"].widget.choices = [ALL, ("none", _("Nobody")), *people]
        self.form.fields["receiver"].widget.choices = [ALL, ("none", _("Unassigned")), *people]

    def page_fields(self, *, manager: bool) -> list:
        return [self.form[name] for name in (self.PAGE_FIELDS if manager else self.REP_PAGE_FIELDS)]
