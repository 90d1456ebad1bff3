"""Bodies the API cannot read answer 400 with a message, never 500, and write nothing."""

import pytest

from core.choices import Role
from profiles.models import IcpProfile

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, '{"name": ', "\x00\x01", '{"a": 1e999999}'])
def test_an_unreadable_json_body_answers_400(client, personas, body):
    client.force_login(personas[Role.MARKETING])
    response = client.post("/api/v1/icp-profiles/", body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert "detail" in response.json() or response.json()
    assert not IcpProfile.objects.exists()
