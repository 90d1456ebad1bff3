"""The nightly runs pages (/engine/runs/, /engine/runs/<id>/): admins and managers see each run's figures and the
accounts that failed, in Japanese or English."""

from __future__ import annotations

import pytest

from core.choices import Role, State
from dashboards.models import NightFigures
from engine import domain
from engine.models import RecomputeRun
from engine.services import recompute_all
from tests.engine import nights
from tests.engine.nights import D
from tests.web.access import assert_page_access

pytestmark = pytest.mark.django_db
MANAGERS = (Role.MANAGER, Role.ADMIN)


@pytest.fixture
def night_with_a_failure(monkeypatch):
    nights.build(accounts=6, marked="N002")
    decide_state = domain.decide_state

    def raising(facts, *args):
        if facts.first_won_on == nights.MARKED_WON_ON:
            raise ValueError("a value the engine cannot compute")
        return decide_state(facts, *args)

    monkeypatch.setattr(domain, "decide_state", raising)
    return recompute_all(as_of=D)


def test_only_managers_and_admins_see_the_runs(client, personas, night_with_a_failure):
    assert_page_access(client, personas, "/engine/runs/", MANAGERS)
    assert_page_access(client, personas, f"/engine/runs/{night_with_a_failure.id}/", MANAGERS)


def test_a_missing_run_is_404(client, manager):
    client.force_login(manager)
    assert client.get("/engine/runs/999999/").status_code == 404


def test_the_list_shows_each_runs_figures_and_how_many_accounts_failed(client, admin_user, night_with_a_failure,
                                                                       django_assert_max_num_queries):
    admin_user.language = "en"
    admin_user.save()
    client.force_login(admin_user)
    with django_assert_max_num_queries(8):
        page = client.get("/engine/runs/").content.decode()
    assert "Nightly runs" in page and D.isoformat() in page and "Completed" in page
    assert f'href="/engine/runs/{night_with_a_failure.id}/#failures">1</a>' in page


def test_a_runs_page_lists_the_failed_accounts_with_their_errors_in_japanese(client, manager, night_with_a_failure):
    manager.language = "ja"
    manager.save()
    client.force_login(manager)
    page = client.get(f"/engine/runs/{night_with_a_failure.id}/").content.decode()
    assert "評価に失敗したアカウント" in page and "N002" in page
    assert "ValueError: a value the engine cannot compute" in page


def test_a_failed_run_shows_its_error(client, manager):
    run = RecomputeRun.objects.create(as_of=D, status=RecomputeRun.Status.FAILED,
                                      error="OperationalError('terminating connection due to administrator command')")
    manager.language = "en"
    manager.save()
    client.force_login(manager)
    page = client.get(f"/engine/runs/{run.id}/").content.decode()
    assert "terminating connection due to administrator command" in page and "No account failed." in page


def test_the_runs_are_in_the_navigation_of_managers_and_admins_only(client, personas):
    for role, user in personas.items():
        client.force_login(user)
        page = client.get("/today/").content.decode()
        assert ('href="/engine/runs/"' in page) == (role in MANAGERS), role


def test_each_run_says_whether_its_dashboard_figures_are_kept_and_names_its_states(client, manager,
                                                                                    night_with_a_failure):
    manager.language = "en"
    manager.save()
    client.force_login(manager)
    assert "<td>Kept</td>" in client.get("/engine/runs/").content.decode()
    page = client.get(f"/engine/runs/{night_with_a_failure.id}/").content.decode()
    assert "Dashboard figures" in page and "Kept" in page
    states = [state for state, n in night_with_a_failure.counts_by_state.items() if n]
    assert states and all(f"{state} " not in page for state in states)  # labels, not codes
    assert all(f"{State(state).label} {night_with_a_failure.counts_by_state[state]}" in page for state in states)


def test_a_run_whose_figures_failed_says_so_with_the_reason(client, manager):
    run = RecomputeRun.objects.create(as_of=D, status=RecomputeRun.Status.COMPLETED)
    NightFigures.objects.create(run=run, status=NightFigures.Status.FAILED, message="the disk is full")
    manager.language = "en"
    manager.save()
    client.force_login(manager)
    page = client.get(f"/engine/runs/{run.id}/").content.decode()
    assert "could not be kept" in page and "the disk is full" in page
    assert "<td>Failed</td>" in client.get("/engine/runs/").content.decode()
