"""The permission matrix in docs/permissions.md is the one the views enforce, every view declares its roles, and
every page and endpoint without a path parameter answers anonymous users and each role as the matrix says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from core.choices import Role
from core.permission_matrix import matrix_markdown, permission_entries

DOC = Path(settings.BASE_DIR) / "docs" / "permissions.md"
ROLE_NAMES = {"every role": tuple(Role.values)}


def test_docs_permissions_is_the_matrix_the_views_enforce():
    text = DOC.read_text(encoding="utf-8")
    documented = text.split("<!-- permission-matrix:start -->\n", 1)[1].split("<!-- permission-matrix:end -->", 1)[0]
    assert documented == matrix_markdown(), "regenerate it: python manage.py permission_matrix"


def test_every_view_declares_who_may_use_it():
    _entries, undeclared = permission_entries()
    assert undeclared == []


def readers(entry) -> tuple[str, ...] | None:
    """The roles the matrix lets read this entry; None where it is not a per-role rule."""
    if entry.read in ROLE_NAMES:
        return ROLE_NAMES[entry.read]
    names = [name.strip() for name in entry.read.split(",")]
    return tuple(names) if all(name in Role.values for name in names) else None


CHECKED = [e for e in permission_entries()[0] if "<" not in e.path and readers(e) is not None]


def test_the_check_covers_the_pages_and_endpoints():
    assert len(CHECKED) >= 25


@pytest.mark.django_db
@pytest.mark.parametrize("entry", CHECKED, ids=[e.name for e in CHECKED])
def test_each_role_reads_as_the_matrix_says(client, personas, entry):
    url = "/" + re.sub(r"\?.*$", "", entry.path)
    response = client.get(url)
    if url.startswith("/api/"):
        assert response.status_code == 401, f"{url} anonymous: {response.status_code}"
    else:
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    allowed = readers(entry)
    for role in Role.values:
        client.force_login(personas[role])
        status = client.get(url).status_code
        assert status == (200 if role in allowed else 403), f"{url} as {role}: {status}"
    client.logout()
