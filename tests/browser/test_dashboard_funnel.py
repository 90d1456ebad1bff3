"""A manager reads the funnel: the chart draws every state in lifecycle order, a team filter changes the chart and the
tables, a move's count leads to exactly the accounts that made it, and the movement downloads as CSV; every asset
(Chart.js included) comes from the app."""

import datetime as dt

import pytest

from accounts.models import Account
from core.choices import State
from dashboards.funnel import FUNNEL_ORDER, funnel_snapshot_write
from engine.models import AccountEvaluation
from segments.models import StateTransition
from tests.browser.steps import log_in
from tests.engine.nights import seed_configuration
from tests.factories import AccountFactory, UserFactory, kept_night

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

D = dt.date(2026, 7, 20)


def night():
    """East (Sora): two LEADs, one of them moved from TARGET_NO_LEAD on 07-10; West (Wes): a NEGOTIATION moved from
    LEAD on 07-15 and a LEAD."""
    seed_configuration()
    sora = UserFactory(username="sora", role="sales", team="east")
    wes = UserFactory(username="wes", role="sales", team="west")
    for name, state, owner, move in (("Alpha", State.LEAD, sora, (State.TARGET_NO_LEAD, 10)),
                                     ("Beta", State.LEAD, sora, None),
                                     ("Gamma", State.NEGOTIATION, wes, (State.LEAD, 15)),
                                     ("Delta", State.LEAD, wes, None)):
        account = AccountFactory(name=name, state=state, owner_sales=owner)
        AccountEvaluation.objects.create(account=account, state=state)
        if move:
            StateTransition.objects.create(account=account, as_of=dt.date(2026, 7, move[1]), from_state=move[0],
                                           to_state=state, rule="test")
    kept_night(D)
    funnel_snapshot_write(as_of=D)


def chart_data(page):
    page.wait_for_function("window.funnelChart")
    return page.evaluate("window.funnelChart.data.datasets[0].data")


def test_manager_filters_the_funnel_follows_a_move_and_downloads_it(browser_visit, base_url, tmp_path):
    UserFactory(username="mio", role="manager", language="en")
    night()
    log_in(browser_visit, base_url, "mio")
    page = browser_visit.page
    page.goto(f"{base_url}/dashboards/")
    page.click("nav.dashboard-tabs >> text=Funnel and movement")
    lead, negotiation = FUNNEL_ORDER.index(State.LEAD), FUNNEL_ORDER.index(State.NEGOTIATION)
    data = chart_data(page)
    assert len(data) == len(FUNNEL_ORDER) and (data[lead], data[negotiation]) == (3, 1)
    assert page.evaluate("window.funnelChart.data.labels")[0] == "Target without lead"
    browser_visit.screenshot("everyone")

    page.select_option("#id_team", "east")
    page.click("#dashboard-filters button[type=submit]")
    page.wait_for_url("**team=east**")
    data = chart_data(page)
    assert (data[lead], data[negotiation]) == (2, 0)
    assert page.locator("#funnel-movement tbody tr").all_inner_texts() == ["Target without lead\tLead\t1"]
    browser_visit.screenshot("team-east")

    with page.expect_download() as download:
        page.click("#funnel-movement a.export")
    path = tmp_path / "movement.csv"
    download.value.save_as(path)
    assert path.read_bytes().decode("utf-8") == (
        "\ufeffFrom state code,From state,To state code,To state,Moves\r\n"
        "TARGET_NO_LEAD,Target without lead,LEAD,Lead,1\r\n")

    page.click("#funnel-movement tbody a")
    page.wait_for_url("**/accounts/?**moved_from=TARGET_NO_LEAD**")
    listed = page.locator("main").inner_text()
    assert "Alpha" in listed and "Beta" not in listed and "Gamma" not in listed
    browser_visit.screenshot("drill-down")
    assert Account.objects.count() == 4
    assert browser_visit.hosts == {"127.0.0.1"}
