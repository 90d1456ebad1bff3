"""Shared access checks for web pages: anonymous -> login, wrong role -> 403, right role -> 200.

Other page tests reuse it: declare `(url, allowed roles)` rows and call `assert_page_access`
(or parametrize over `roles_for`), as NetBox's view test base classes do.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from core.choices import Role

ALL_ROLES: tuple[str, ...] = tuple(Role.values)


def assert_anonymous_is_sent_to_login(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302, f"{url}: anonymous got {response.status_code}"
    assert response["Location"] == f"/login/?next={quote(url)}", response["Location"]


def assert_page_access(client, personas: dict, url: str, allowed: Iterable[str]) -> None:
    """Every role either gets the page (200) or is refused (403); anonymous goes to the login page."""
    allowed = tuple(allowed)
    client.logout()
    assert_anonymous_is_sent_to_login(client, url)
    for role in ALL_ROLES:
        client.force_login(personas[role])
        response = client.get(url)
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, f"{url} as {role}: {response.status_code}, expected {expected}"
    client.logout()
