from rest_framework import viewsets

from accounts.filtersets import AccountFilterSet
from accounts.models import Account, Lead, Opportunity
from core.permissions import EVERYONE, MANAGERS, HasRole

from .serializers import AccountSerializer, LeadSerializer, OpportunitySerializer


class AccountViewSet(viewsets.ModelViewSet):
    queryset = Account.objects.select_related(
        "owner_csm", "owner_sales", "owner_inside_sales", "owner_marketing", "owner_executive", "icp_profile"
    )
    serializer_class = AccountSerializer
    permission_classes = [HasRole]
    read_roles, write_roles = EVERYONE, MANAGERS
    filterset_class = AccountFilterSet
    ordering_fields = ["name", "icp_fit", "state_since", "id"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]


class LeadViewSet(viewsets.ModelViewSet):
    queryset = Lead.objects.select_related("account")
    serializer_class = LeadSerializer
    permission_classes = [HasRole]
    read_roles, write_roles = EVERYONE, MANAGERS
    filterset_fields = ["account", "status"]
    ordering_fields = ["created_on", "score", "id"]


class OpportunityViewSet(viewsets.ModelViewSet):
    queryset = Opportunity.objects.select_related("account", "owner")
    serializer_class = OpportunitySerializer
    permission_classes = [HasRole]
    read_roles, write_roles = EVERYONE, MANAGERS
    filterset_fields = ["account", "status", "owner"]
    ordering_fields = ["opened_on", "amount", "id"]
