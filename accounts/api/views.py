from rest_framework import viewsets

from accounts.filtersets import AccountFilterSet, LeadFilterSet, OpportunityFilterSet
from accounts.models import Account, Lead, Opportunity
from accounts.services import account_create, account_delete, account_update
from core.permissions import EVERYONE, MANAGERS, HasRole

from .serializers import AccountSerializer, LeadSerializer, OpportunitySerializer


class AccountViewSet(viewsets.ModelViewSet):
    """Accounts; the serializer validates, accounts.services writes (one transaction, audited)."""

    queryset = Account.objects.select_related(
        "owner_csm", "owner_sales", "owner_inside_sales", "owner_marketing", "owner_executive", "icp_profile"
    )
    serializer_class = AccountSerializer
    permission_classes = [HasRole]
    read_roles, write_roles = EVERYONE, MANAGERS
    filterset_class = AccountFilterSet
    ordering_fields = ["name", "icp_fit", "state_since", "id"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def perform_create(self, serializer) -> None:
        serializer.instance = account_create(actor=self.request.user, fields=serializer.validated_data)

    def perform_update(self, serializer) -> None:
        serializer.instance = account_update(actor=self.request.user, account=serializer.instance,
                                             changes=serializer.validated_data)

    def perform_destroy(self, instance: Account) -> None:
        account_delete(actor=self.request.user, account=instance)


class LeadViewSet(viewsets.ModelViewSet):
    queryset = Lead.objects.select_related("account")
    serializer_class = LeadSerializer
    permission_classes = [HasRole]
    read_roles, write_roles = EVERYONE, MANAGERS
    filterset_class = LeadFilterSet
    ordering_fields = ["created_on", "score", "id"]


class OpportunityViewSet(viewsets.ModelViewSet):
    queryset = Opportunity.objects.select_related("account", "owner")
    serializer_class = OpportunitySerializer
    permission_classes = [HasRole]
    read_roles, write_roles = EVERYONE, MANAGERS
    filterset_class = OpportunityFilterSet
    ordering_fields = ["opened_on", "amount", "id"]
