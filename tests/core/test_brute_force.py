"""Guessing passwords does not work: after AXES_FAILURE_LIMIT failures in a row a username is locked on the login
page, the admin and the API token endpoint alike, even for the right password; password-reset requests are
throttled per address."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.utils import translation

from core.auth_views import LOCKED_OUT
from core.choices import Role
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rep(db):
    return UserFactory(username="rita", role=Role.SALES, password="right-password-2026")


def log_in(client, password: str):
    return client.post("/login/", {"username": "rita", "password": password})


def test_fifty_wrong_passwords_then_the_right_one_does_not_log_in(client, rep):
    for _ in range(50):
        log_in(client, "wrong")
    response = log_in(client, "right-password-2026")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "registration/locked_out.html" in [t.name for t in response.templates]


def test_a_success_before_the_limit_resets_the_count(client, rep):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "wrong").status_code == 200
    assert log_in(client, "right-password-2026").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "wrong")
    assert log_in(client, "right-password-2026").status_code == 302


def test_an_admin_lifts_the_lock(client, rep):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "wrong")
    assert log_in(client, "right-password-2026").status_code == 429
    call_command("axes_reset_username", "rita")
    assert log_in(client, "right-password-2026").status_code == 302


def test_the_token_endpoint_gives_a_token_for_the_right_password(client, rep):
    response = client.post("/api/v1/auth/token/", {"username": "rita", "password": "right-password-2026"})
    assert response.status_code == 200 and len(response.json()["token"]) == 40


def test_the_token_endpoint_locks_out_like_the_login_page(client, rep):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/api/v1/auth/token/", {"username": "rita", "password": "wrong"}).status_code == 400
    # The failure that reaches the limit locks the username at once.
    assert client.post("/api/v1/auth/token/", {"username": "rita", "password": "wrong"}).status_code == 429
    response = client.post("/api/v1/auth/token/", {"username": "rita", "password": "right-password-2026"})
    assert response.status_code == 429
    with translation.override("ja"):  # the default language, as the request had
        assert response.json()["detail"] == str(LOCKED_OUT)
    assert log_in(client, "right-password-2026").status_code == 429  # the page too: one lock per username


def test_password_reset_requests_are_throttled(client, rep):
    limit = settings.PASSWORD_RESET_REQUESTS_PER_HOUR
    for _ in range(limit):
        assert client.post("/password-reset/", {"email": rep.email}).status_code == 302
    response = client.post("/password-reset/", {"email": rep.email})
    assert response.status_code == 429
    assert len(mail.outbox) == limit
