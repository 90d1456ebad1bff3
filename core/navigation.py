"""The navigation bar: each role sees only what it may use."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .choices import Role
from .permissions import EVERYONE, MANAGERS


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str
    roles: tuple[str, ...]


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("today", _("Today"), EVERYONE),
    NavItem("dashboards:changes", _("Overnight"), EVERYONE),
    NavItem("accounts:list", _("Accounts"), EVERYONE),
    NavItem("engine:alerts", _("Alerts"), MANAGERS),
    NavItem("handoffs:list", _("Handoffs"), EVERYONE),
    NavItem("handoffs:feedback", _("Handoff feedback"), (Role.ADMIN, Role.MANAGER, Role.MARKETING, Role.EXECUTIVE)),
    NavItem("standards:editor", _("Standards"), MANAGERS),
    NavItem("segments:settings", _("State settings"), MANAGERS),
    NavItem("handoffs:rules", _("Handoff rules"), MANAGERS),
    NavItem("profiles:list", _("ICP profiles"), EVERYONE),
    NavItem("dashboards:coverage", _("Dashboards"), EVERYONE),
    NavItem("engine:runs", _("Nightly runs"), MANAGERS),
    NavItem("core:imports", _("Imports"), (Role.ADMIN,)),
    NavItem("core:users", _("Users"), (Role.ADMIN,)),
)


def navigation_for(user) -> list[dict]:
    items = []
    for item in NAV_ITEMS:
        if user.role not in item.roles:
            continue
        items.append({"url": reverse(item.url_name), "label": item.label, "name": item.url_name})
    return items
