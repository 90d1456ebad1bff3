from rest_framework import serializers

from accounts.models import Account, Lead, Opportunity
from core.api.serializers import ModelRulesMixin


class AccountSerializer(ModelRulesMixin, serializers.ModelSerializer):
    owner_csm = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    owner_sales = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    owner_inside_sales = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    owner_marketing = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    owner_executive = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    icp_profile = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    # Blank until the first night evaluates the account (DRF drops allow_blank from a read-only model field).
    state = serializers.ChoiceField(choices=Account._meta.get_field("state").choices, read_only=True, allow_blank=True)

    class Meta:
        model = Account
        fields = [
            "id", "external_id", "name", "corporate_number", "domain", "industry", "listed", "employees",
            "annual_revenue", "revenue_growth_pct", "promo_budget", "avg_order_amount", "departments", "regions",
            "technologies", "prefecture", "is_target", "owner_csm", "owner_sales", "owner_inside_sales",
            "owner_marketing", "owner_executive", "state", "state_since", "icp_fit", "icp_profile", "icp_tier",
        ]
        read_only_fields = ["state", "state_since", "icp_fit", "icp_profile", "icp_tier"]


class LeadSerializer(ModelRulesMixin, serializers.ModelSerializer):
    account_external_id = serializers.CharField(source="account.external_id", read_only=True)

    class Meta:
        model = Lead
        fields = ["id", "external_id", "account", "account_external_id", "created_on", "closed_on", "status", "score",
                  "source", "contact_name", "contact_email"]


class OpportunitySerializer(ModelRulesMixin, serializers.ModelSerializer):
    account_external_id = serializers.CharField(source="account.external_id", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Opportunity
        fields = ["id", "external_id", "account", "account_external_id", "name", "opened_on", "closed_on", "status",
                  "amount", "contract_end", "owner"]
