"""`GET /api/v1/dashboards/coverage/?as_of=YYYY-MM-DD` (docs/rules.md §9): the figures as that date's completed run
left them — not recomputed from today's data — 404 when no run for that date completed, 400 on a malformed date."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from contacts.models import Touch
from engine.models import RecomputeRun
from engine.services import recompute_all
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

D = dt.date(2026, 7, 20)


@pytest.fixture
def api():
    return APIClient()


def _touch(account, day):
    Touch.objects.create(account=account, kind="human", performer_role="sales", occurred_on=day,
                         occurred_at=dt.datetime.combine(day, dt.time(3), tzinfo=dt.timezone.utc))


def test_a_past_night_answers_as_it_answered_that_night(api, sales):
    account = AccountFactory(is_target=True)
    recompute_all(as_of=D)
    api.force_authenticate(sales)
    that_night = api.get("/api/v1/dashboards/coverage/").json()
    assert that_night["as_of"] == D.isoformat()
    assert that_night["breadth"]["touched_30d"] == 0

    _touch(account, D + dt.timedelta(days=1))
    AccountFactory(is_target=True)  # new data after that night
    recompute_all(as_of=D + dt.timedelta(days=1))

    latest = api.get("/api/v1/dashboards/coverage/").json()
    assert latest["as_of"] == (D + dt.timedelta(days=1)).isoformat()
    assert latest["breadth"]["touched_30d"] == 1 and latest["breadth"]["target_accounts"] == 2

    kept = api.get("/api/v1/dashboards/coverage/", {"as_of": D.isoformat()})
    assert kept.status_code == 200
    assert kept.json() == that_night
    assert api.get("/api/v1/dashboards/coverage/", {"as_of": latest["as_of"]}).json() == latest


def test_a_date_without_a_completed_run_is_404_and_a_malformed_one_400(api, sales):
    AccountFactory()
    recompute_all(as_of=D)
    RecomputeRun.objects.create(as_of=D - dt.timedelta(days=1), status=RecomputeRun.Status.FAILED)
    api.force_authenticate(sales)
    assert api.get("/api/v1/dashboards/coverage/", {"as_of": "2026-07-10"}).status_code == 404
    assert api.get("/api/v1/dashboards/coverage/", {"as_of": (D - dt.timedelta(days=1)).isoformat()}).status_code == 404
    response = api.get("/api/v1/dashboards/coverage/", {"as_of": "20-07-2026"})
    assert response.status_code == 400 and "as_of" in response.json()


def test_anonymous_callers_are_refused(api):
    assert api.get("/api/v1/dashboards/coverage/", {"as_of": D.isoformat()}).status_code in (401, 403)
