"""The content mix page's chart and the plan each night is compared with (dashboards.content_mix, docs/api.md): the
chart draws from the JSON the page writes, which says what the tables say in the reader's language; each night keeps
the plan it was counted against, so a standard saved after a night changes the next night's plan, not that night's;
a night kept before plans were kept is compared with today's plan and the page says so."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.choices import Role, State
from dashboards.content_mix import content_mix_snapshot_write
from dashboards.models import ContentPlanSnapshot
from engine.models import AccountEvaluation
from standards.models import Standard
from standards.services import requirement_snapshot, standard_update
from tests.engine.nights import seed_configuration
from tests.factories import AccountFactory, TouchFactory, kept_night

pytestmark = pytest.mark.django_db

D = dt.date(2026, 7, 20)
NEXT = D + dt.timedelta(days=1)
UTC = dt.timezone.utc
API = "/api/v1/dashboards/content-mix/"
PAGE = reverse("dashboards:content_mix")


@pytest.fixture(autouse=True)
def english(english_readers):
    seed_configuration()


def keep(as_of):
    kept_night(as_of)
    content_mix_snapshot_write(as_of=as_of)


@pytest.fixture
def night(sales, marketer):
    """ACTIVE of Sora (plan: human 1/30, Solution by a visit): a visit (Solution) and a phone call (Relation) in the
    window. LEAD of Mark: a newsletter (Education) and an e-mail without a stage."""
    active = AccountFactory(state=State.ACTIVE, owner_sales=sales)
    AccountEvaluation.objects.create(account=active, state=State.ACTIVE)
    for channel, stage in (("visit", "solution"), ("phone", "relation")):
        TouchFactory(account=active, occurred_at=dt.datetime(2026, 7, 15, 3, 0, tzinfo=UTC), kind="human",
                     channel=channel, content_stage=stage, performer_role=Role.SALES)
    lead = AccountFactory(state=State.LEAD, owner_marketing=marketer)
    AccountEvaluation.objects.create(account=lead, state=State.LEAD)
    for channel, stage in (("newsletter", "education"), ("email", "")):
        TouchFactory(account=lead, occurred_at=dt.datetime(2026, 7, 10, 3, 0, tzinfo=UTC), kind="digital",
                     channel=channel, content_stage=stage, performer_role=Role.MARKETING)
    keep(D)


def _page(client, user, query=""):
    client.force_login(user)
    response = client.get(f"{PAGE}?{query}")
    assert response.status_code == 200
    return response.content.decode()


def _api(user, query=""):
    api = APIClient()
    api.force_authenticate(user)
    response = api.get(f"{API}?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def _chart(html):
    """The JSON static/js/content-mix-chart.js reads."""
    match = re.search(r'<script id="mix-data" type="application/json">(.*?)</script>', html, re.DOTALL)
    assert match, "the page writes no chart data"
    return json.loads(match.group(1))


ROW = re.compile(r'<th scope="row">([^<]+?)(?: <span class="badge[^"]*">[^<]*</span>)?</th>\s*<td>[^<]*</td>\s*'
                 r'<td class="num">([^<]*)</td><td class="num">\d+</td><td class="num">([^<]*)</td>')


def _table(html, state, table):
    """(name, planned %, actual %) of each line of a state's table, as the page shows them."""
    section = html[html.index(f'id="mix-{state}"'):html.index("</section>", html.index(f'id="mix-{state}"'))]
    body = section[section.index(f'<table class="mix-{table}">'):]
    return ROW.findall(body[:body.index("</table>")])


def _as_shown(value):
    return "—" if value is None else f"{value:.0f}%"


def _stage_plan(html, state):
    return {name: planned for name, planned, _actual in _table(html, state, "stages")}


def test_the_chart_data_says_what_the_tables_say_for_every_state_and_table(night, client, manager):
    html = _page(client, manager)
    chart = _chart(html)
    assert (chart["planned"], chart["actual"]) == ("Planned share", "Actual share")
    shown = re.findall(r'data-mix-state="([A-Z_]+)" data-mix-table="(stages|channels)"', html)
    assert {state for state, _table_name in shown} == set(chart["states"]) and len(shown) >= 10
    for state, table in shown:
        lines = chart["states"][state][table]
        assert [(name, _as_shown(planned), _as_shown(actual))
                for name, planned, actual in zip(lines["labels"], lines["planned"], lines["actual"])] == \
            _table(html, state, table)
    active = chart["states"][State.ACTIVE]["stages"]
    assert dict(zip(active["labels"], zip(active["planned"], active["actual"]))) == {
        "Solution": (100.0, 50.0), "Selection": (None, 0.0), "Relation": (None, 50.0)}
    assert "No content stage" in chart["states"][State.LEAD]["stages"]["labels"]
    assert 'aria-label="Active customer: planned against actual share by channel"' in html
    assert "content-mix-chart.js" in html and "chart.umd.min.js" in html


def test_the_chart_speaks_the_readers_language_never_codes(night, client, manager):
    manager.language = "ja"
    manager.save(update_fields=["language"])
    client.force_login(manager)
    html = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    chart = _chart(html)
    assert (chart["planned"], chart["actual"]) == ("計画構成比", "実績構成比")
    labels = [label for state in chart["states"].values() for table in state.values() for label in table["labels"]]
    assert "解決策" in labels and "訪問" in labels
    assert not {"solution", "visit", "online_meeting", "", "relation"} & set(labels)


def _change_active_plan():
    """ACTIVE's human requirement now asks for Selection by phone; its content plan names Selection and Relation."""
    standard = Standard.objects.get(state=State.ACTIVE)
    requirements = [{**requirement_snapshot(r), **({"content_stage": "selection", "channel": "phone"}
                                                   if r.code == "human" else {})}
                    for r in standard.requirements.order_by("order", "id")]
    standard_update(standard=standard, requirements=requirements, actor=None, content_stages=["selection", "relation"],
                    comment="the plan changes after the night")


def test_a_past_night_keeps_its_plan_after_the_standard_changes_and_the_next_night_has_the_new_one(
        night, client, manager):
    before = _page(client, manager)
    _change_active_plan()
    keep(NEXT)

    then = _page(client, manager, f"as_of={D.isoformat()}")
    assert _stage_plan(then, State.ACTIVE) == _stage_plan(before, State.ACTIVE) == {
        "Solution": "100%", "Selection": "—", "Relation": "—"}
    assert 'id="mix-plan-now"' not in then and "The plan is the one the night kept" in then
    assert _chart(then)["states"][State.ACTIVE]["stages"]["planned"] == [100.0, None, None]
    channels = {line["channel"]: line["planned_share"] for line in
                next(s for s in _api(manager, f"as_of={D.isoformat()}")["states"] if s["state"] == State.ACTIVE)[
                    "channels"]}
    assert channels["visit"] == 1.0 and channels["phone"] is None

    after = _page(client, manager)
    solution, selection, relation = ("Solution", "—", "50%"), ("Selection", "100%", "0%"), ("Relation", "—", "50%")
    assert _table(after, State.ACTIVE, "stages") == [solution, selection, relation]  # Solution: touched, not planned
    data = _api(manager)
    assert data["as_of"] == NEXT.isoformat() and data["plan"] == "night"
    active = next(s for s in data["states"] if s["state"] == State.ACTIVE)
    assert {line["content_stage"]: line["in_plan"] for line in active["stages"]} == {
        "solution": False, "selection": True, "relation": True}


def test_a_rerun_replaces_the_nights_plan(night):
    _change_active_plan()
    content_mix_snapshot_write(as_of=D)
    kept = ContentPlanSnapshot.objects.filter(as_of=D)
    assert kept.count() == len(State.values)  # one row per state, a state without a standard an empty plan
    active = kept.get(state=State.ACTIVE)
    assert (active.stages, active.stage_share) == (["relation", "selection"], {"selection": 1.0})
    assert kept.get(state=State.OUT_OF_SCOPE).stages == []


def test_a_night_kept_before_plans_were_kept_uses_todays_plan_and_says_so(night, client, manager):
    ContentPlanSnapshot.objects.filter(as_of=D).delete()  # as the nights kept before migration 0007 are
    _change_active_plan()
    html = _page(client, manager)
    assert re.search(r'<p class="muted" id="mix-plan-now" role="note">This night was kept before the nights kept '
                     r'their plans: it is compared with the standards as they are now.</p>', html)
    assert "The plan is the one the night kept" not in html
    assert _stage_plan(html, State.ACTIVE)["Selection"] == "100%"
    assert _api(manager)["plan"] == "current"
