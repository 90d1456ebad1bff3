"""Shared access checks for web pages: anonymous -> login, wrong role -> 403, right role -> 200; and for actions
on one object: wrong role -> the same 404 as a missing object.

Other page tests reuse it: declare `(url, allowed roles)` rows and call `assert_page_access`
(or `assert_object_action_access`), as NetBox's view test base classes do.
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


def assert_object_action_access(client, personas: dict, url: str, allowed: Iterable[str], *, missing_url: str,
                                data: dict | None = None) -> None:
    """An action on one object (POST): anonymous goes to the login page; a role that may not act gets the same 404
    as an object that does not exist (`missing_url`), Zulip's access_* style; an allowed role is served (2xx or a
    redirect back)."""
    allowed = tuple(allowed)
    client.logout()
    response = client.post(url, data or {})
    assert response.status_code == 302 and response["Location"].startswith("/login/?next="), url
    for role in ALL_ROLES:
        client.force_login(personas[role])
        missing = client.post(missing_url, data or {})
        assert missing.status_code == 404, f"{missing_url} as {role}: {missing.status_code}"
        response = client.post(url, data or {})
        if role in allowed:
            assert response.status_code in (200, 302), f"{url} as {role}: {response.status_code}"
        else:
            assert response.status_code == 404, f"{url} as {role}: {response.status_code}, expected 404"
            assert response.content == missing.content, f"{url} as {role}: forbidden does not look like missing"
    client.logout()
