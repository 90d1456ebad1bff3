"""Fixtures the dashboard tests share: a rep of another team, and everyone reading English."""

from __future__ import annotations

import pytest
from django.utils import translation

from core.choices import Role
from core.models import User
from tests.factories import UserFactory


@pytest.fixture
def west(db):
    """A sales rep of the team "west" (the personas' teams are others)."""
    return UserFactory(username="wes", role=Role.SALES, full_name="Wes West", team="west")


@pytest.fixture
def english_readers(personas):
    """Every user reads English and the test runs in English (the Japanese catalogue has its own tests)."""
    User.objects.update(language="en")
    with translation.override("en"):
        yield
