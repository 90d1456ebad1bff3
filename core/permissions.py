"""Role checks: one place that says which role may do what."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.mixins import AccessMixin
from rest_framework.permissions import BasePermission

from .choices import Role

REP_ROLES = (Role.CSM, Role.SALES, Role.INSIDE_SALES, Role.MARKETING, Role.EXECUTIVE)
MANAGERS = (Role.MANAGER, Role.ADMIN)
EVERYONE = tuple(Role.values)


def has_role(user, roles: Iterable[str]) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role in tuple(roles))


class RoleRequiredMixin(AccessMixin):
    """Anonymous users go to the login page; signed-in users without the role get 403."""

    allowed_roles: tuple[str, ...] = EVERYONE
    # Roles for POST and the other writes when narrower than allowed_roles (None: the same).
    write_roles: tuple[str, ...] | None = None
    raise_exception = False

    def roles_for(self, method: str) -> tuple[str, ...]:
        if self.write_roles is not None and method not in ("GET", "HEAD", "OPTIONS"):
            return self.write_roles
        return self.allowed_roles

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not has_role(request.user, self.roles_for(request.method)):
            self.raise_exception = True
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)


class HasRole(BasePermission):
    """DRF permission: read roles for safe methods, write roles otherwise."""

    read_roles: tuple[str, ...] = EVERYONE
    write_roles: tuple[str, ...] = MANAGERS

    def has_permission(self, request, view) -> bool:
        read_roles = getattr(view, "read_roles", self.read_roles)
        write_roles = getattr(view, "write_roles", self.write_roles)
        roles = read_roles if request.method in ("GET", "HEAD", "OPTIONS") else write_roles
        return has_role(request.user, roles)
