"""One FilterSet for accounts, shared by the accounts page, its CSV export and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from core.api.filters import IdChoiceFilter, IdFilter, StrictBooleanFilter
from core.choices import Role, State
from core.models import User
from engine.models import Alert, CoverageRow, CoverageStatus

from .models import Account, Lead, Opportunity

OWNER_COLUMNS = ("owner_csm", "owner_sales", "owner_inside_sales", "owner_marketing", "owner_executive")
TIERS = (("A", "A"), ("B", "B"), ("C", "C"))


class AccountFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    state = django_filters.ChoiceFilter(choices=State.choices, label=_("State"))
    status = django_filters.ChoiceFilter(choices=CoverageStatus.choices, method="filter_status", label=_("Coverage status"))
    # A user id, matched against every owner column.
    owner = IdChoiceFilter(queryset=User.objects.filter(is_active=True).order_by("username"), method="filter_owner",
                           label=_("Owner"))
    # The role that leads the account since its last accepted handoff (docs/rules.md §8).
    lead_role = django_filters.ChoiceFilter(choices=Role.choices, label=_("Lead role"))
    icp_tier = django_filters.ChoiceFilter(choices=TIERS, label=_("ICP tier"))
    industry = django_filters.CharFilter(field_name="industry", lookup_expr="iexact", label=_("Industry"))
    region = django_filters.CharFilter(method="filter_region", label=_("Region"))
    prefecture = django_filters.CharFilter(field_name="prefecture", lookup_expr="exact", label=_("Prefecture"))
    under_covered = StrictBooleanFilter(method="filter_under_covered", label=_("Under-covered"))

    class Meta:
        model = Account
        fields = ["q", "state", "status", "owner", "lead_role", "icp_tier", "industry", "region", "prefecture",
                  "under_covered"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(external_id=value) | Q(corporate_number=value))

    def filter_status(self, queryset, name, value):
        return queryset.filter(Exists(CoverageRow.objects.filter(account_id=OuterRef("pk"), status=value)))

    def filter_owner(self, queryset, name, value):
        condition = Q()
        for column in OWNER_COLUMNS:
            condition |= Q(**{column: value})
        return queryset.filter(condition)

    def filter_region(self, queryset, name, value):
        value = value.strip()
        # Regions are a JSON list; matching the quoted element works on PostgreSQL and SQLite alike.
        return queryset.filter(regions__icontains=f'"{value}"') if value else queryset

    def filter_under_covered(self, queryset, name, value):
        open_alerts = Alert.objects.filter(account_id=OuterRef("pk"), status=Alert.Status.OPEN)
        if value is None:
            return queryset
        return queryset.filter(Exists(open_alerts)) if value else queryset.exclude(Exists(open_alerts))


class LeadFilterSet(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")

    class Meta:
        model = Lead
        fields = ["account", "status"]


class OpportunityFilterSet(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    owner = IdFilter(field_name="owner_id")

    class Meta:
        model = Opportunity
        fields = ["account", "status", "owner"]
