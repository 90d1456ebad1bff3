"""API authentication: no credentials or a bad token answer 401 with `WWW-Authenticate: Token`, so a client knows
to authenticate; a valid token or session gets in; a signed-in user without the role gets 403."""

import pytest
from rest_framework.authtoken.models import Token

from core.choices import Role

pytestmark = pytest.mark.django_db


def test_no_credentials_answer_401_with_the_scheme(client):
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_bad_token_answers_401(client):
    response = client.get("/api/v1/accounts/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_valid_token_gets_in(client, personas):
    token = Token.objects.create(user=personas[Role.SALES])
    assert client.get("/api/v1/accounts/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200


def test_a_signed_in_user_without_the_role_gets_403(client, personas):
    client.force_login(personas[Role.SALES])
    assert client.put("/api/v1/standards/LEAD/", {}, content_type="application/json").status_code == 403
