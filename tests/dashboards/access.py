"""The access check every dashboard API shares: anonymous refused, every role served."""

from __future__ import annotations

from rest_framework.test import APIClient


def assert_api_serves_every_role(personas: dict, url: str, api: APIClient | None = None) -> None:
    api = api or APIClient()
    assert api.get(url).status_code in (401, 403)
    for user in personas.values():
        api.force_authenticate(user)
        assert api.get(url).status_code == 200, user.role
