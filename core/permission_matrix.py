"""The permission matrix: every page and endpoint with the roles that may read it and write through it, read off
the views themselves (`allowed_roles` of pages, `read_roles`/`write_roles` of API views), so the table in
docs/permissions.md is generated from what the code enforces (`manage.py permission_matrix`) and a test keeps the
two equal. Object rules (who may act on one alert or handoff) are the access helpers' and are listed after it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from .choices import Role

READABLE_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")  # a router's (?P<pk>[^/.]+) reads as <pk>
SIGNED_IN = "signed in"
PUBLIC = "anyone"

# Views whose access is not a class attribute: function views and Django's own. What each checks, in words that
# match its decorators (login_required, require_POST) and the access helper it calls.
DECLARED: dict[str, tuple[str, str]] = {
    "home": (SIGNED_IN, "—"),
    "login": (PUBLIC, PUBLIC),
    "logout": ("—", SIGNED_IN),
    "password_reset": (PUBLIC, PUBLIC),
    "password_reset_done": (PUBLIC, "—"),
    "password_reset_confirm": (PUBLIC, PUBLIC),
    "password_reset_complete": (PUBLIC, "—"),
    "set_language": ("—", SIGNED_IN),
    "core:set_language": ("—", SIGNED_IN),
    "contacts:log": ("—", SIGNED_IN + "; for others: managers, admins (docs/permissions.md, touches)"),
    "engine:alert-acknowledge": ("—", SIGNED_IN + "; the alert's assignee or a manager (engine.access)"),
    "engine:alert-snooze": ("—", SIGNED_IN + "; the alert's assignee or a manager (engine.access)"),
    "api-token": ("—", PUBLIC),
    "api-me": (SIGNED_IN, SIGNED_IN),
    "api-dashboard-coverage": (SIGNED_IN, "—"),
    "schema": (SIGNED_IN, "—"),
    "api-docs": (SIGNED_IN, "—"),
}


@dataclass(frozen=True)
class Entry:
    path: str
    name: str
    read: str
    write: str


def _roles(roles) -> str:
    if roles is None:
        return "—"
    roles = tuple(roles)
    if set(roles) == set(Role.values):
        return "every role"
    return ", ".join(Role(r).value for r in roles)


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            space = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), space)
        elif pattern.name:
            yield prefix + str(pattern.pattern), namespace + pattern.name, pattern


def _entry(path: str, name: str, pattern: URLPattern) -> Entry | None:
    if name in DECLARED:
        return Entry(path, name, *DECLARED[name])
    view = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
    if view is None:
        return None
    if hasattr(view, "allowed_roles"):
        writes = any(hasattr(view, m) for m in ("post", "put", "patch", "delete"))
        reads = hasattr(view, "get")
        write_roles = getattr(view, "write_roles", None) or view.allowed_roles
        return Entry(path, name, _roles(view.allowed_roles) if reads else "—",
                     _roles(write_roles) if writes else "—")
    if hasattr(view, "read_roles"):
        # A router's URL serves only the methods its actions map (`reassign/`: POST alone); an action may name its
        # own roles (@action(read_roles=…)), which DRF sets on the view it serves.
        methods = set(getattr(pattern.callback, "actions", None) or ("get", "post", "put", "patch", "delete"))
        own = getattr(pattern.callback, "initkwargs", {})
        read_roles = own.get("read_roles", view.read_roles)
        write_roles = own.get("write_roles", getattr(view, "write_roles", None))
        reads = "get" in methods
        writes = bool(methods & {"post", "put", "patch", "delete"}) and write_roles
        return Entry(path, name, _roles(read_roles) if reads else "—", _roles(write_roles) if writes else "—")
    return None


def permission_entries() -> tuple[list[Entry], list[str]]:
    """The matrix, and the names of views that declare no roles (which a test refuses)."""
    entries, undeclared = [], []
    for path, name, pattern in _walk(get_resolver().url_patterns):
        if path.startswith("admin/"):
            continue  # Django's admin: staff only, its own permission system
        entry = _entry(READABLE_GROUP.sub(r"<\1>", path).replace("^", "").replace("$", ""), name, pattern)
        if entry is None:
            undeclared.append(name)
        else:
            entries.append(entry)
    return entries, undeclared


def matrix_markdown() -> str:
    entries, _undeclared = permission_entries()
    lines = ["| path | name | read (GET) | write (POST, PUT, PATCH, DELETE) |", "|---|---|---|---|"]
    lines += [f"| `/{e.path}` | `{e.name}` | {e.read} | {e.write} |" for e in entries]
    return "\n".join(lines) + "\n"
