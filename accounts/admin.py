from django.contrib import admin

from .models import Account, Lead, Opportunity


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("external_id", "name", "industry", "state", "state_since", "icp_fit", "icp_tier")
    list_filter = ("state", "icp_tier", "is_target", "listed")
    search_fields = ("external_id", "name", "corporate_number", "domain")
    raw_id_fields = ("owner_csm", "owner_sales", "owner_inside_sales", "owner_marketing", "owner_executive", "icp_profile")
    show_full_result_count = False


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ("external_id", "account", "status", "score", "created_on", "closed_on")
    list_filter = ("status",)
    search_fields = ("external_id", "account__name")
    raw_id_fields = ("account",)
    show_full_result_count = False


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ("external_id", "account", "name", "status", "amount", "opened_on", "closed_on", "contract_end")
    list_filter = ("status",)
    search_fields = ("external_id", "name", "account__name")
    raw_id_fields = ("account", "owner")
    show_full_result_count = False
