import django_filters

from contacts.models import Touch


class TouchFilterSet(django_filters.FilterSet):
    account = django_filters.NumberFilter(field_name="account_id")
    account_external_id = django_filters.CharFilter(field_name="account__external_id")
    kind = django_filters.CharFilter()
    performer_role = django_filters.CharFilter()
    occurred_from = django_filters.DateFilter(field_name="occurred_on", lookup_expr="gte")
    occurred_to = django_filters.DateFilter(field_name="occurred_on", lookup_expr="lte")

    class Meta:
        model = Touch
        fields = ["account", "account_external_id", "kind", "performer_role", "occurred_from", "occurred_to"]
