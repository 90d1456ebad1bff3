import django_filters

from contacts.models import Touch
from core.api.filters import IdFilter
from core.choices import Role


class TouchFilterSet(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    account_external_id = django_filters.CharFilter(field_name="account__external_id")
    # Choices, so a misspelt kind or role answers 400 naming the parameter instead of an empty list.
    kind = django_filters.ChoiceFilter(choices=Touch._meta.get_field("kind").choices)
    performer_role = django_filters.ChoiceFilter(choices=Role.choices)
    occurred_from = django_filters.DateFilter(field_name="occurred_on", lookup_expr="gte")
    occurred_to = django_filters.DateFilter(field_name="occurred_on", lookup_expr="lte")

    class Meta:
        model = Touch
        fields = ["account", "account_external_id", "kind", "performer_role", "occurred_from", "occurred_to"]
