"""List endpoints page by keyset; a page size outside 1–500 answers 400 naming `page_size`, not a quiet default."""

import pytest

from core.choices import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page_size", ["-35679", "0", "501", "abc", "1.5"])
def test_a_bad_page_size_answers_400_naming_it(client, personas, page_size):
    client.force_login(personas[Role.MANAGER])
    response = client.get(f"/api/v1/accounts/?page_size={page_size}")
    assert response.status_code == 400
    assert "page_size" in response.json()


@pytest.mark.parametrize("page_size", ["1", "500"])
def test_a_page_size_within_bounds_is_used(client, personas, page_size):
    client.force_login(personas[Role.MANAGER])
    assert client.get(f"/api/v1/accounts/?page_size={page_size}").status_code == 200
