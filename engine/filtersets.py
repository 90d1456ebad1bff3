"""One FilterSet per engine model, shared by the managers' alert page, the API and the alerts export."""

from __future__ import annotations

from collections.abc import Sequence

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from core.api.filters import IdChoiceFilter, IdFilter, StrictBooleanFilter
from core.choices import Role, State
from core.models import User

from .models import Alert, CoverageRow

ALL = ("", _("All"))


class MineFilterMixin(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    mine = StrictBooleanFilter(method="filter_mine")

    def filter_mine(self, queryset, name, value):
        return queryset.filter(assignee=self.request.user) if value else queryset


class CoverageFilterSet(MineFilterMixin):
    account_external_id = django_filters.CharFilter(field_name="account__external_id")
    assignee = IdFilter(field_name="assignee_id")

    class Meta:
        model = CoverageRow
        fields = ["account", "account_external_id", "state", "status", "responsible_role", "assignee", "mine"]


class AlertFilterSet(MineFilterMixin):
    """Alerts by account, status, state, team, responsible role and assignee (`none`: unassigned).

    The page names the responsible role `role` (its links say so); the API says `responsible_role`. Both are
    this one filter's field.
    """

    team = django_filters.CharFilter(field_name="assignee__team", label=_("Team"))
    responsible_role = django_filters.ChoiceFilter(choices=Role.choices)
    role = django_filters.ChoiceFilter(field_name="responsible_role", choices=Role.choices, label=_("Responsible role"),
                                       empty_label=ALL[1])
    # A user id, or `none` for the unassigned alerts.
    assignee = extend_schema_field({"type": "string", "pattern": r"^([0-9]{1,18}|none)$"})(IdChoiceFilter(
        queryset=User.objects.all(), null_value="none", null_label=_("Unassigned"), label=_("Owner / assignee")))
    state = django_filters.ChoiceFilter(choices=State.choices, label=_("State"), empty_label=ALL[1])

    # The fields the managers' page shows, in its order.
    PAGE_FIELDS = ("team", "role", "assignee", "state")

    class Meta:
        model = Alert
        fields = ["account", "status", "state", "responsible_role", "role", "assignee", "team", "mine"]

    def offer_choices(self, *, users: Sequence[User]) -> None:
        """The page's drop-downs: the teams of the active users and the active users themselves (validation still
        takes any user, as the API always did)."""
        teams = sorted({u.team for u in users if u.team})
        self.form.fields["team"].widget = forms.Select(choices=[ALL, *[(t, t) for t in teams]])
        self.form.fields["assignee"].widget.choices = [ALL, ("none", _("Unassigned")), *[(str(u.pk), str(u)) for u in users]]

    @property
    def page_fields(self) -> list:
        return [self.form[name] for name in self.PAGE_FIELDS]
