"""Reads on people for the admins' directory: each with their team's managers and whether sign-in is locked."""

from __future__ import annotations

from dataclasses import dataclass

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from .choices import Role
from .models import User


@dataclass(frozen=True)
class DirectoryRow:
    user: User
    team_managers: tuple[User, ...]
    locked: bool


def locked_usernames(usernames: list[str]) -> set[str]:
    """Usernames django-axes refuses now: at the failure limit, and within the cool-off if there is one."""
    attempts = AccessAttempt.objects.filter(username__in=usernames,
                                            failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
    if settings.AXES_COOLOFF_TIME:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME)
    return set(attempts.values_list("username", flat=True))


def user_queryset(*, query: str = "", role: str = "", team: str = "", active: str = "") -> QuerySet[User]:
    users = User.objects.order_by("-is_active", "team", "username")
    if query:
        users = users.filter(Q(username__icontains=query) | Q(full_name__icontains=query) | Q(email__icontains=query))
    if role:
        users = users.filter(role=role)
    if team:
        users = users.filter(team=team)
    if active in ("yes", "no"):
        users = users.filter(is_active=active == "yes")
    return users


def user_directory(*, query: str = "", role: str = "", team: str = "", active: str = "") -> list[DirectoryRow]:
    """Three queries whatever the number of people: the people, the managers, the locks."""
    users = list(user_queryset(query=query, role=role, team=team, active=active))
    managers: dict[str, list[User]] = {}
    for manager in User.objects.filter(role=Role.MANAGER, is_active=True).exclude(team="").order_by("username"):
        managers.setdefault(manager.team, []).append(manager)
    locked = locked_usernames([u.username for u in users])
    return [DirectoryRow(user=u, team_managers=tuple(managers.get(u.team, ()) if u.team else ()),
                         locked=u.username in locked) for u in users]


def teams() -> list[str]:
    return list(User.objects.exclude(team="").order_by("team").values_list("team", flat=True).distinct())
