"""The OpenAPI schema is generated without a warning or an error (drf-spectacular's own validation), so what it
documents is what the views do: action responses, path parameter types, one component per shared choice set."""

import pytest
from django.core.management import call_command

from core.choices import Role


def test_the_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn makes any warning an error; --validate checks the result against the OpenAPI specification.
    call_command("spectacular", "--file", str(tmp_path / "schema.yml"), "--validate", "--fail-on-warn")


@pytest.mark.django_db
def test_actions_document_the_alert_or_handoff_they_answer(client, personas):
    client.force_login(personas[Role.MANAGER])
    schema = client.get("/api/schema/?format=json").json()
    snooze = schema["paths"]["/api/v1/alerts/{id}/snooze/"]["post"]
    assert snooze["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Alert")
    reject = schema["paths"]["/api/v1/handoffs/{id}/reject/"]["post"]
    assert reject["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Handoff")
