"""Enumerations shared by every app (docs/rules.md §3, §4, §7)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    CSM = "csm", _("Customer success")
    SALES = "sales", _("Field sales")
    INSIDE_SALES = "inside_sales", _("Inside sales")
    MARKETING = "marketing", _("Marketing")
    EXECUTIVE = "executive", _("Executive")


# Roles that own accounts; each has an owner column on the account.
OWNER_ROLES: tuple[str, ...] = (
    Role.CSM,
    Role.SALES,
    Role.INSIDE_SALES,
    Role.MARKETING,
    Role.EXECUTIVE,
)


def owner_field_for_role(role: str) -> str | None:
    """Name of the account's owner column for a role, or None if the role owns nothing."""
    return f"owner_{role}" if role in OWNER_ROLES else None


class State(models.TextChoices):
    """Customer states in rule order (docs/rules.md §3)."""

    ONBOARDING = "ONBOARDING", _("Onboarding (within 6 months of first deal)")
    LOYAL = "LOYAL", _("Loyal customer")
    ACTIVE = "ACTIVE", _("Active customer")
    NEGOTIATION = "NEGOTIATION", _("In negotiation")
    CHURNED = "CHURNED", _("Churned customer")
    HOT_LEAD = "HOT_LEAD", _("Hot lead")
    HIGH_POTENTIAL_LEAD = "HIGH_POTENTIAL_LEAD", _("High-potential lead")
    LEAD = "LEAD", _("Lead")
    TARGET_NO_LEAD = "TARGET_NO_LEAD", _("Target without lead")
    OUT_OF_SCOPE = "OUT_OF_SCOPE", _("Out of scope")


STATE_ORDER: tuple[str, ...] = tuple(State.values)


class TouchKind(models.TextChoices):
    HUMAN = "human", _("Human")
    DIGITAL = "digital", _("Digital")


class Channel(models.TextChoices):
    VISIT = "visit", _("Visit")
    PHONE = "phone", _("Phone")
    ONLINE_MEETING = "online_meeting", _("Online meeting")
    EMAIL = "email", _("Email")
    SEMINAR = "seminar", _("Seminar / event")
    WEBINAR = "webinar", _("Webinar")
    NEWSLETTER = "newsletter", _("Newsletter")
    WEB_VISIT = "web_visit", _("Web visit")
    AD = "ad", _("Advertising")
    OTHER = "other", _("Other")


class ContentStage(models.TextChoices):
    EDUCATION = "education", _("Education")
    SOLUTION = "solution", _("Solution")
    SELECTION = "selection", _("Selection")
    NEGOTIATION = "negotiation", _("Negotiation")
    RELATION = "relation", _("Relation")


class TouchSource(models.TextChoices):
    MANUAL = "manual", _("Manual")
    CSV = "csv", _("CSV import")
    API = "api", _("API")
    MA = "ma", _("Marketing automation")
    SFA = "sfa", _("SFA")
    CRM = "crm", _("CRM")


class Language(models.TextChoices):
    JA = "ja", "日本語"
    EN = "en", "English"
