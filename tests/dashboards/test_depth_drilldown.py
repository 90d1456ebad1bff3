"""The depth page on the shared filters (dashboards.filtering): every linked count of its depth tables (per
responsible role, owner, team, state and role) and breadth tables opens the accounts list on as many accounts as it
counts — on test_depth's hand-built night, for a manager, a manager's filter and a rep's own scope."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.choices import Role, State
from tests.dashboards.test_depth import night  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_readers")]

PAGE = reverse("dashboards:depth")


def _listed(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return len(response.context["accounts"])


def _linked_rows(context):
    for section in (*context["depth_sections"], *context["breadth_sections"]):
        for row in section["rows"]:
            yield section["name"], row


@pytest.mark.parametrize(("role", "params"), [
    (Role.MANAGER, {}), (Role.MANAGER, {"state": State.ACTIVE}), (Role.MANAGER, {"team": "east"}),
    (Role.SALES, {}), (Role.MARKETING, {}),
])
def test_every_linked_count_opens_as_many_accounts(night, client, personas, role, params):
    client.force_login(personas[role])
    context = client.get(PAGE, params).context
    linked = 0
    for name, row in _linked_rows(context):
        if not row["link_accounts"]:
            continue
        linked += 1
        assert _listed(client, row["link_accounts"]) == row["accounts"], (name, row)
        assert _listed(client, row["link_under_covered"]) == row["under_covered"], (name, row)
    assert linked


def test_the_role_and_team_tables_are_linked_now(night, client, manager):
    client.force_login(manager)
    context = client.get(PAGE).context
    tables = {section["name"]: section["rows"] for section in context["depth_sections"]}
    assert all(row["link_accounts"] for row in tables["by_role"])
    assert {row["team"]: bool(row["link_accounts"]) for row in tables["by_team"]} == {
        "east": True, "west": True, "": False}  # no team: no filter says so


def test_a_team_outside_a_reps_scope_is_refused_naming_it(night, client, sales):
    client.force_login(sales)
    response = client.get(PAGE, {"team": "west"})
    assert response.status_code == 400 and "team: " in response.content.decode()
