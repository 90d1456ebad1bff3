"""Content mix against the plan, kept per night (dashboards.content_mix; docs/rules.md §1, §4): with the default
standards, the night's counting touches — kind, performer role, within each requirement's window in the business
time zone, a touch once — per state by content stage and channel, the planned share from the requirements, what the
plan expects and no touch carried; owners, teams and scopes; CSV, empty states, bad input, permissions and a fixed
number of queries, on the page and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.choices import Role, State
from dashboards.content_mix import content_mix_snapshot_write, content_plans
from dashboards.models import ContentMixSnapshot
from engine.models import AccountEvaluation
from standards.models import Requirement, Standard
from tests.dashboards.access import assert_api_serves_every_role
from tests.engine.nights import seed_configuration
from tests.factories import AccountFactory, TouchFactory, kept_night
from tests.web.access import assert_page_access

pytestmark = pytest.mark.django_db

D = dt.date(2026, 7, 20)
UTC = dt.timezone.utc
API = "/api/v1/dashboards/content-mix/"
PAGE = reverse("dashboards:content_mix")


@pytest.fixture(autouse=True)
def english(english_readers):
    seed_configuration()


def _account(state, **owners):
    account = AccountFactory(state=state, **owners)
    AccountEvaluation.objects.create(account=account, state=state)
    return account


def _touch(account, at, *, kind="human", channel="visit", stage="solution", role=Role.SALES):
    """A touch at `at` (UTC); its date is taken in Tokyo, as stored touches are (docs/rules.md §1)."""
    return TouchFactory(account=account, occurred_at=at, kind=kind, channel=channel, content_stage=stage,
                        performer_role=role)


@pytest.fixture
def night(sales, csm, marketer):
    """ACTIVE (human 1/30, Solution by a visit; plan Solution, Selection, Relation by visit, online meeting, phone),
    owned by Sora and Chika: a visit at 00:00 Tokyo on the window's first day (06-21) counts, a phone call one second
    earlier (23:59:59 on 06-20) does not, nor a visit at 00:00 Tokyo the day after D, nor a digital e-mail; a CSM's
    phone call counts. ONBOARDING (human 1/7) of Sora: an online meeting on D − 2 counts, one on D − 7 does not.
    LEAD (digital 2/30, Education by newsletter) of Mark: a newsletter and an e-mail without a stage count."""
    active = _account(State.ACTIVE, owner_sales=sales, owner_csm=csm)
    _touch(active, dt.datetime(2026, 6, 20, 15, 0, tzinfo=UTC))  # 2026-06-21 00:00 in Tokyo
    _touch(active, dt.datetime(2026, 6, 20, 14, 59, 59, tzinfo=UTC), channel="phone", stage="relation")
    _touch(active, dt.datetime(2026, 7, 20, 15, 0, tzinfo=UTC))  # 2026-07-21 00:00 in Tokyo: after the night
    _touch(active, dt.datetime(2026, 7, 10, 3, 0, tzinfo=UTC), kind="digital", channel="email", stage="education")
    _touch(active, dt.datetime(2026, 7, 19, 3, 0, tzinfo=UTC), channel="phone", role=Role.CSM)
    onboarding = _account(State.ONBOARDING, owner_sales=sales)
    _touch(onboarding, dt.datetime(2026, 7, 18, 3, 0, tzinfo=UTC), channel="online_meeting")
    _touch(onboarding, dt.datetime(2026, 7, 13, 3, 0, tzinfo=UTC), channel="online_meeting")
    lead = _account(State.LEAD, owner_marketing=marketer)
    _touch(lead, dt.datetime(2026, 7, 1, 3, 0, tzinfo=UTC), kind="digital", channel="newsletter", stage="education",
           role=Role.MARKETING)
    _touch(lead, dt.datetime(2026, 7, 2, 3, 0, tzinfo=UTC), kind="digital", channel="email", stage="",
           role=Role.MARKETING)
    kept_night(D)
    content_mix_snapshot_write(as_of=D)


def _get(user, query=""):
    api = APIClient()
    api.force_authenticate(user)
    response = api.get(f"{API}?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def _state(data, state):
    return next(s for s in data["states"] if s["state"] == state)


def _lines(rows, key):
    return {r[key]: (r["in_plan"], r["planned_share"], r["touches"], r["share"], r["missing"]) for r in rows}


def test_active_counts_touches_in_the_window_of_the_business_day_against_its_plan(night, manager):
    active = _state(_get(manager), State.ACTIVE)
    assert active["touches"] == 2
    assert _lines(active["stages"], "content_stage") == {
        "solution": (True, 1.0, 2, 1.0, False),
        "selection": (True, None, 0, 0.0, True),
        "relation": (True, None, 0, 0.0, True),  # the relation call was one second before the window
    }
    assert _lines(active["channels"], "channel") == {
        "visit": (True, 1.0, 1, 0.5, False), "online_meeting": (True, None, 0, 0.0, True),
        "phone": (True, None, 1, 0.5, False),
    }


def test_each_state_keeps_its_own_window_and_touches_without_a_stage(night, manager):
    data = _get(manager)
    onboarding = _state(data, State.ONBOARDING)
    assert onboarding["touches"] == 1  # D − 2 counts; D − 7 is outside the 7 days
    assert _lines(onboarding["channels"], "channel")["online_meeting"] == (True, 1.0, 1, 1.0, False)
    lead = _state(data, State.LEAD)
    assert _lines(lead["stages"], "content_stage") == {"education": (True, 1.0, 1, 0.5, False),
                                                       "": (False, None, 1, 0.5, False)}
    assert _lines(lead["channels"], "channel") == {
        "email": (True, None, 1, 0.5, False), "newsletter": (True, 1.0, 1, 0.5, False),
        "webinar": (True, None, 0, 0.0, True)}
    loyal = _state(data, State.LOYAL)  # a plan, no account: everything it expects is missing
    assert loyal["touches"] == 0 and all(line["missing"] for line in loyal["stages"])
    assert [s["state"] for s in data["states"]][:3] == [State.TARGET_NO_LEAD, State.LEAD, State.HIGH_POTENTIAL_LEAD]


def test_planned_share_weighs_each_requirement_by_the_touches_it_asks_for_per_day():
    standard = Standard.objects.get(state=State.HIGH_POTENTIAL_LEAD)  # human 1/30 by phone, digital 2/30 by e-mail
    plan = content_plans()[State.HIGH_POTENTIAL_LEAD]
    assert plan.channel_share == {"phone": 0.3333, "email": 0.6667} and plan.stage_share == {"education": 1.0}
    Requirement.objects.filter(standard=standard, code="human").update(window_days=10, content_stage="solution")
    plan = content_plans()[State.HIGH_POTENTIAL_LEAD]  # 1/10 against 2/30: 0.1 ÷ (0.1 + 0.0667)
    assert plan.stage_share == {"solution": 0.6, "education": 0.4}


def test_a_touch_counting_for_two_requirements_counts_once(sales, executive, manager):
    loyal = _account(State.LOYAL, owner_csm=sales)
    _touch(loyal, dt.datetime(2026, 7, 15, 3, 0, tzinfo=UTC), role=Role.EXECUTIVE, stage="relation")
    kept_night(D)
    content_mix_snapshot_write(as_of=D)
    assert _state(_get(manager), State.LOYAL)["touches"] == 1


@pytest.mark.parametrize(("who", "query", "touches"), [
    ("manager", "", {State.ACTIVE: 2, State.ONBOARDING: 1, State.LEAD: 2}),
    ("manager", "team=east", {State.ACTIVE: 2, State.ONBOARDING: 1}),  # Sora and Chika's account once
    ("manager", "owner={chika}", {State.ACTIVE: 2}),
    ("manager", "state=LEAD", {State.LEAD: 2}),
    ("sales", "", {State.ACTIVE: 2, State.ONBOARDING: 1}),
    ("marketer", "", {State.LEAD: 2}),  # no team: own only
    ("executive", "", {State.ACTIVE: 2, State.ONBOARDING: 1, State.LEAD: 2}),
])
def test_filters_and_scopes_count_each_touch_once(night, request, csm, who, query, touches):
    data = _get(request.getfixturevalue(who), query.format(chika=csm.id))
    assert {s["state"]: s["touches"] for s in data["states"] if s["touches"]} == touches


def test_the_state_filter_shows_that_state_alone(night, manager):
    assert [s["state"] for s in _get(manager, "state=CHURNED")["states"]] == [State.CHURNED]


def test_a_rerun_of_the_night_replaces_its_rows(night):
    before = set(ContentMixSnapshot.objects.values_list("state", "owner_id", "content_stage", "channel", "touches"))
    content_mix_snapshot_write(as_of=D)
    after = set(ContentMixSnapshot.objects.values_list("state", "owner_id", "content_stage", "channel", "touches"))
    assert after == before and ContentMixSnapshot.objects.count() == len(before)


def test_page_shows_names_not_codes_and_marks_what_is_missing(night, client, manager):
    client.force_login(manager)
    response = client.get(PAGE)
    html = response.content.decode()
    assert response.status_code == 200
    section = html[html.index('id="mix-ACTIVE"'):html.index("</section>", html.index('id="mix-ACTIVE"'))]
    assert "Active customer" in section and "2 counting touches" in section
    assert '<th scope="row">Selection <span class="badge status-under_covered">Missing</span></th>' in section
    assert '<th scope="row">Online meeting <span class="badge' in section
    assert "online_meeting" not in section and ">selection<" not in section
    lead = html[html.index('id="mix-LEAD"'):]
    assert "No content stage" in lead


def test_csv_of_each_table_starts_with_a_bom(night, client, sales):
    client.force_login(sales)
    response = client.get(f"{PAGE}?format=csv&table=stages")
    body = response.content.decode("utf-8")
    assert response.status_code == 200 and body.startswith("\ufeff")
    lines = body[1:].splitlines()
    assert lines[0] == ("State code,State,Content stage (code),Content stage,In the plan,Planned share,Touches,"
                        "Share,Missing")
    assert "ACTIVE,Active customer,solution,Solution,true,1.0,2,1.0,false" in lines
    assert not any(line.startswith("LEAD,") and ",1," in line for line in lines)  # Mark's LEAD is outside the team
    body = client.get(f"{PAGE}?format=csv&table=channels").content.decode("utf-8")
    assert "ACTIVE,Active customer,online_meeting,Online meeting,true,,0,0.0,true" in body
    assert client.get(f"{PAGE}?format=csv&table=nope").status_code == 400


def test_before_any_night_everything_is_empty(client, manager):
    assert _get(manager) == {"as_of": None, "scope": "all", "plan": None, "states": []}
    client.force_login(manager)
    response = client.get(PAGE)
    assert response.status_code == 200 and b'id="mix-no-night"' in response.content


@pytest.mark.parametrize(("query", "field"), [
    ("as_of=2026-02-30", "as_of"), ("as_of=2026-07-01", "as_of"), ("state=HOT", "state"), ("owner=x", "owner"),
    ("industry=it", "industry"), ("icp_tier=A", "icp_tier"),  # kept per state, team and owner only
])
def test_bad_input_is_refused_naming_the_field(night, client, manager, query, field):
    api = APIClient()
    api.force_authenticate(manager)
    response = api.get(f"{API}?{query}")
    assert response.status_code == 400 and field in response.json()
    client.force_login(manager)
    page = client.get(f"{PAGE}?{query}")
    assert page.status_code == 400 and f"{field}:" in page.content.decode()


def test_a_rep_cannot_read_another_team(night, sales):
    api = APIClient()
    api.force_authenticate(sales)
    response = api.get(f"{API}?team=west")
    assert response.status_code == 400 and "team" in response.json()


def test_every_role_may_open_the_page_and_anonymous_is_sent_to_login(night, client, personas):
    assert_page_access(client, personas, PAGE, tuple(Role.values))


def test_api_refuses_anonymous_and_serves_every_role(night, personas):
    assert_api_serves_every_role(personas, API)


def test_page_and_api_read_a_fixed_number_of_queries(night, client, manager, sales,
                                                     django_assert_max_num_queries):
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        assert client.get(PAGE).status_code == 200
    for i in range(10):
        account = _account(State.ACTIVE, owner_sales=sales)
        _touch(account, dt.datetime(2026, 7, 1 + i, 3, 0, tzinfo=UTC), channel=["visit", "phone", "email"][i % 3])
    content_mix_snapshot_write(as_of=D)
    with django_assert_max_num_queries(12):
        assert client.get(PAGE).status_code == 200
    with django_assert_max_num_queries(8):
        _get(manager)
