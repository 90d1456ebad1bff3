"""A manager opens the content mix: a chart per state and table draws planned against actual share with the names the
tables show, in the reader's language, from assets the app serves itself (no inline script: the CSP)."""

import datetime as dt

import pytest

from core.choices import Role, State
from dashboards.content_mix import content_mix_snapshot_write
from engine.models import AccountEvaluation
from tests.browser.steps import log_in
from tests.engine.nights import seed_configuration
from tests.factories import AccountFactory, TouchFactory, UserFactory, kept_night

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

D = dt.date(2026, 7, 20)


def test_the_content_mix_chart_draws_each_states_plan_against_its_touches(browser_visit, base_url):
    seed_configuration()
    UserFactory(username="mio", role="manager", language="en")
    sora = UserFactory(username="sora", role="sales", team="east")
    account = AccountFactory(name="Alpha", state=State.ACTIVE, owner_sales=sora)
    AccountEvaluation.objects.create(account=account, state=State.ACTIVE)
    TouchFactory(account=account, occurred_at=dt.datetime(2026, 7, 15, 3, 0, tzinfo=dt.timezone.utc), kind="human",
                 channel="visit", content_stage="solution", performer_role=Role.SALES)
    kept_night(D)
    content_mix_snapshot_write(as_of=D)

    log_in(browser_visit, base_url, "mio")
    page = browser_visit.page
    page.goto(f"{base_url}/dashboards/content-mix/")
    page.wait_for_function("window.contentMixCharts && window.contentMixCharts['ACTIVE-stages']")
    canvases = page.locator("canvas[data-mix-state]")
    assert canvases.count() == page.evaluate("Object.keys(window.contentMixCharts).length") > 2
    box = page.locator("#chart-mix-ACTIVE-stages").bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100
    chart = "window.contentMixCharts['ACTIVE-stages'].data"
    assert page.evaluate(f"{chart}.labels") == ["Solution", "Selection", "Relation"]
    assert page.evaluate(f"{chart}.datasets.map(d => d.label)") == ["Planned share", "Actual share"]
    assert page.evaluate(f"{chart}.datasets[1].data") == [100, 0, 0]
    browser_visit.screenshot("content-mix")
    assert browser_visit.hosts == {"127.0.0.1"}
