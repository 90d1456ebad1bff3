from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.choices import Role, State
from core.validators import CORPORATE_NUMBER_PATTERN, bounded, range_condition, validate_corporate_number

User = settings.AUTH_USER_MODEL
# An account's owner per role (the Account fields), to read them with it (select_related).
OWNER_FIELDS = ("owner_csm", "owner_sales", "owner_inside_sales", "owner_marketing", "owner_executive")


class Account(models.Model):
    """A customer or prospect company (取引先企業), with its derived coverage state."""

    external_id = models.CharField(_("external ID"), max_length=100, unique=True)
    name = models.CharField(_("company name"), max_length=300)
    # 法人番号: empty, or 13 digits whose first is the check digit of the other 12 (core.validators).
    corporate_number = models.CharField(_("corporate number"), max_length=13, blank=True,
                                        validators=[validate_corporate_number])
    domain = models.CharField(_("domain"), max_length=255, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    listed = models.BooleanField(_("listed"), null=True, blank=True)
    # Head counts and amounts (yen) are never negative; a growth rate may be.
    employees = models.IntegerField(_("employees"), null=True, blank=True, validators=bounded(0))
    annual_revenue = models.BigIntegerField(_("annual revenue"), null=True, blank=True, validators=bounded(0))
    revenue_growth_pct = models.DecimalField(
        _("revenue growth %"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    promo_budget = models.BigIntegerField(_("promotion budget"), null=True, blank=True, validators=bounded(0))
    avg_order_amount = models.BigIntegerField(_("average order amount"), null=True, blank=True, validators=bounded(0))
    departments = models.JSONField(_("departments"), default=list, blank=True)
    regions = models.JSONField(_("regions"), default=list, blank=True)
    technologies = models.JSONField(_("technologies"), default=list, blank=True)
    prefecture = models.CharField(_("prefecture"), max_length=20, blank=True)
    is_target = models.BooleanField(_("in target market"), default=True)

    owner_csm = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("CSM"))
    owner_sales = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("field sales"))
    owner_inside_sales = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("inside sales"))
    owner_marketing = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("marketing"))
    owner_executive = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("executive"))
    # Set when a handoff is accepted (docs/rules.md §8): the role that leads the account now and, under the
    # three-legged model, the sender who stays on as support until the account's next accepted handoff.
    lead_role = models.CharField(_("lead role"), max_length=20, choices=Role.choices, blank=True, db_default="")
    supporting_owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                         verbose_name=_("supporting owner"))

    # Derived by the nightly pipeline (docs/rules.md §3, §6); empty until the first recompute.
    state = models.CharField(_("state"), max_length=20, choices=State.choices, blank=True)
    state_since = models.DateField(_("state since"), null=True, blank=True)
    # True while the state is the account's first classification ever (no grace, no handoff).
    state_initial = models.BooleanField(default=False)
    state_as_of = models.DateField(null=True, blank=True)
    icp_fit = models.PositiveSmallIntegerField(_("ICP fit"), default=0)
    icp_profile = models.ForeignKey(
        "profiles.IcpProfile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("ICP profile")
    )
    icp_tier = models.CharField(_("ICP tier"), max_length=1, blank=True)
    # Indexes of the matched criteria of the profile version that gave the fit, for explanation.
    icp_matched = models.JSONField(default=list, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            # Accounts list, unfiltered: keyset pages ordered by (name, id).
            models.Index(fields=["name", "id"], name="account_name_id_idx"),
            # Accounts list filtered by state, ordered by name.
            models.Index(fields=["state", "name"], name="account_state_name_idx"),
            # Accounts list / dashboards by tier.
            models.Index(fields=["icp_tier", "state"], name="account_tier_state_idx"),
            # The accounts search matches a corporate number exactly (beside part of the name, which has a
            # PostgreSQL trigram index made in migration 0004, and the external id, which is unique).
            models.Index(fields=["corporate_number"], name="account_corporate_number_idx"),
        ]
        constraints = [
            # The database holds the shape; the check digit is the field validator's (core.validators).
            models.CheckConstraint(
                condition=models.Q(corporate_number="") | models.Q(corporate_number__regex=CORPORATE_NUMBER_PATTERN),
                name="account_corporate_number_13_digits",
                violation_error_message=_("A corporate number has 13 digits."),
            ),
            *(models.CheckConstraint(condition=range_condition(field, 0, nullable=True), name=f"account_{field}_not_negative",
                                     violation_error_message=_("Head counts and amounts cannot be negative."))
              for field in ("employees", "annual_revenue", "promo_budget", "avg_order_amount")),
        ]

    def __str__(self) -> str:
        return self.name


class Lead(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONVERTED = "converted", _("Converted")
        DISQUALIFIED = "disqualified", _("Disqualified")

    external_id = models.CharField(_("external ID"), max_length=100, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="leads")
    created_on = models.DateField(_("created on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    # Lead scores are on a 0–100 scale (docs/rules.md §2).
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True, validators=bounded(0, 100))
    source = models.CharField(_("source"), max_length=100, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)

    class Meta:
        ordering = ["-created_on", "id"]
        indexes = [
            # Nightly: leads of a chunk of accounts (account_id range scan).
            models.Index(fields=["account", "created_on"], name="lead_account_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__lte=100), name="lead_score_0_100",
                violation_error_message=_("Lead score must be between 0 and 100."),
            ),
        ]

    def __str__(self) -> str:
        return self.external_id


class Opportunity(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    external_id = models.CharField(_("external ID"), max_length=100, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="opportunities")
    name = models.CharField(_("name"), max_length=300, blank=True)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    amount = models.BigIntegerField(_("amount"), null=True, blank=True, validators=bounded(0))
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-opened_on", "id"]
        verbose_name_plural = _("opportunities")
        indexes = [
            # Nightly: deals of a chunk of accounts (account_id range scan).
            models.Index(fields=["account", "opened_on"], name="opp_account_opened_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closed_on__isnull=True) | models.Q(closed_on__gte=models.F("opened_on")),
                name="opportunity_closed_on_after_opened_on",
                violation_error_message=_("A deal cannot close before it opens."),
            ),
            models.CheckConstraint(
                condition=range_condition("amount", 0, nullable=True), name="opportunity_amount_not_negative",
                violation_error_message=_("An amount cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.external_id

    def clean(self) -> None:
        # The constraint's rule, said against the field a form or serializer shows it next to.
        if self.closed_on and self.opened_on and self.closed_on < self.opened_on:
            raise ValidationError({"closed_on": _("A deal cannot close before it opens.")})
