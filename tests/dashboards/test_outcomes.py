"""Outcomes of accounts that met the standard against those that did not (dashboards.outcomes; docs/rules.md §10):
hand-computed small data, Wilson intervals, the minimum-sample rule, tiers, scope, empty states."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from core.choices import Role, State
from dashboards import outcomes as oc
from dashboards.filtering import DashboardFilters, FilterError, Scope
from dashboards.outcome_snapshots import outcome_snapshot_write
from dashboards.stats import overlaps, rate, wilson
from engine.models import Alert
from segments.models import StateTransition
from tests.dashboards.access import assert_api_serves_every_role
from tests.factories import AccountFactory, UserFactory, kept_night

START, END = dt.date(2026, 1, 1), dt.date(2026, 6, 29)


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


def night(day=END):
    """A completed night on `day` that kept its outcome facts."""
    kept_night(day)
    outcome_snapshot_write(as_of=day)


def outcomes(start=START, end=END, *, user=None, **filters):
    """The cohorts for [start, end] as the night of END kept them, with these filters, for `user` (everyone's)."""
    night(END)
    scope = Scope.of(user) if user else Scope(everyone=True)
    return oc.outcome_figures(DashboardFilters(date_from=start, date_to=end, scope=scope, **filters)).cohorts


def move(account, on, from_state, to_state):
    StateTransition.objects.create(account=account, as_of=on, from_state=from_state, to_state=to_state, rule="t")


def alert(account, state, opened_on, resolved_on=None):
    Alert.objects.create(account=account, state=state, requirement="human", opened_on=opened_on, changed_on=opened_on,
                         resolved_on=resolved_on, status="resolved" if resolved_on else "open",
                         responsible_role=Role.SALES, gap=1)


def negotiation(tier="", *, outcome=None, alert_on=None, entered=d(2, 1), left=d(3, 1)):
    account = AccountFactory(icp_tier=tier, state=outcome or State.NEGOTIATION, state_since=left if outcome else entered)
    move(account, d(1, 10), "", State.LEAD)
    move(account, entered, State.LEAD, State.NEGOTIATION)
    if outcome:
        move(account, left, State.NEGOTIATION, outcome)
    if alert_on:
        alert(account, State.NEGOTIATION, alert_on, left if outcome else None)
    return account


class TestWilson:
    def test_eight_of_ten(self):
        low, high = wilson(8, 10)
        assert (round(low, 3), round(high, 3)) == (0.490, 0.943)

    def test_known_values(self):
        assert [round(x, 4) for x in wilson(0, 10)] == [0.0, 0.2775]
        assert [round(x, 4) for x in wilson(10, 10)] == [0.7225, 1.0]
        assert [round(x, 4) for x in wilson(50, 100)] == [0.4038, 0.5962]

    def test_no_accounts_no_interval(self):
        assert wilson(0, 0) is None
        assert rate(0, 0).rate is None

    def test_overlap(self):
        assert overlaps(rate(8, 10), rate(5, 10))
        assert not overlaps(rate(95, 100), rate(20, 100))


class TestVerdict:
    def test_below_minimum_sample_no_verdict_even_when_far_apart(self):
        assert oc.verdict(rate(29, 29), rate(0, 40), higher_is_better=True) == "too_few"
        assert oc.verdict(rate(40, 40), rate(0, 29), higher_is_better=True) == "too_few"

    def test_at_minimum_sample_and_apart(self):
        assert oc.verdict(rate(27, 30), rate(6, 30), higher_is_better=True) == "met_better"
        assert oc.verdict(rate(27, 30), rate(6, 30), higher_is_better=False) == "met_worse"

    def test_overlapping_intervals(self):
        assert oc.verdict(rate(20, 30), rate(17, 30), higher_is_better=True) == "no_difference"


@pytest.mark.django_db
class TestNegotiation:
    def test_won_lost_and_open_split_by_alerts(self):
        negotiation("A", outcome=State.ONBOARDING)                     # met, won
        negotiation("A", outcome=State.ACTIVE)                         # met, won
        negotiation("B", outcome=State.LEAD)                           # met, lost
        negotiation("A", outcome=State.ONBOARDING, alert_on=d(2, 10))  # not met, won
        negotiation("", outcome=State.CHURNED, alert_on=d(2, 10))      # not met, lost
        negotiation("B", outcome=State.TARGET_NO_LEAD, alert_on=d(2, 12))  # not met, lost
        negotiation("B")                                               # met, still open
        negotiation("C", alert_on=d(2, 20))                            # not met, still open
        found = outcomes()["negotiation"]
        overall = found["overall"]
        assert (overall.met.hits, overall.met.n) == (2, 3)
        assert (overall.not_met.hits, overall.not_met.n) == (1, 3)
        assert (overall.open_met, overall.open_not_met) == (1, 1)
        assert overall.verdict == "too_few"
        assert round(overall.met.rate, 4) == 0.6667
        by_tier = found["by_tier"]
        assert (by_tier["A"].met.hits, by_tier["A"].met.n, by_tier["A"].not_met.n) == (2, 2, 1)
        assert (by_tier["B"].met.n, by_tier["B"].not_met.n, by_tier["B"].open_met) == (1, 1, 1)
        assert (by_tier["none"].not_met.hits, by_tier["none"].not_met.n) == (0, 1)
        assert by_tier["C"].open_not_met == 1 and by_tier["C"].met.n == 0

    def test_alert_outside_the_stretch_does_not_count(self):
        account = negotiation(outcome=State.ACTIVE)
        alert(account, State.NEGOTIATION, d(1, 5), d(1, 9))  # an earlier stretch's alert
        alert(account, State.ACTIVE, d(3, 20))                # after it was won, another state's alert
        overall = outcomes()["negotiation"]["overall"]
        assert (overall.met.hits, overall.met.n, overall.not_met.n) == (1, 1, 0)

    def test_entries_outside_the_period_and_initial_classifications_are_left_out(self):
        negotiation(outcome=State.ACTIVE, entered=dt.date(2025, 12, 31), left=d(1, 20))
        account = AccountFactory(state=State.NEGOTIATION, state_since=d(2, 1))
        move(account, d(2, 1), "", State.NEGOTIATION)
        overall = outcomes()["negotiation"]["overall"]
        assert overall.met.n == overall.not_met.n == overall.open_met == 0

    def test_verdict_with_enough_accounts(self):
        for _ in range(30):
            negotiation(outcome=State.ACTIVE)
        for i in range(30):
            negotiation(outcome=State.ACTIVE if i < 3 else State.LEAD, alert_on=d(2, 5))
        overall = outcomes()["negotiation"]["overall"]
        assert (overall.met.hits, overall.met.n, overall.not_met.hits, overall.not_met.n) == (30, 30, 3, 30)
        assert overall.verdict == "met_better"

    def test_tier_filter(self):
        negotiation("A", outcome=State.ACTIVE)
        negotiation("B", outcome=State.ACTIVE)
        negotiation("", outcome=State.LEAD)
        found = outcomes(icp_tier="A")["negotiation"]
        assert list(found["by_tier"]) == ["A"]
        assert (found["overall"].met.hits, found["overall"].met.n) == (1, 1)
        assert outcomes()["negotiation"]["by_tier"]["none"].met.n == 1


@pytest.mark.django_db
class TestCustomersAndLeads:
    def test_churn_split_by_alerts_open_in_the_period(self):
        # Customer since before the period, churned in it, no alert: met, churned.
        a = AccountFactory(state=State.CHURNED, state_since=d(4, 1))
        move(a, dt.date(2025, 6, 1), "", State.ACTIVE)
        move(a, d(4, 1), State.ACTIVE, State.CHURNED)
        # Customer throughout, an alert open across the start: not met, stayed.
        b = AccountFactory(state=State.LOYAL, state_since=dt.date(2025, 3, 1))
        move(b, dt.date(2025, 3, 1), "", State.LOYAL)
        alert(b, State.LOYAL, dt.date(2025, 12, 20), d(1, 5))
        # Customer throughout, an alert resolved on the first day (no longer under-covered that day): met, stayed.
        c = AccountFactory(state=State.ACTIVE, state_since=dt.date(2025, 3, 1))
        move(c, dt.date(2025, 3, 1), "", State.ACTIVE)
        alert(c, State.ACTIVE, dt.date(2025, 12, 20), START)
        # Became a customer only after the start: not in the cohort.
        e = AccountFactory(state=State.ONBOARDING, state_since=d(2, 1))
        move(e, dt.date(2025, 3, 1), "", State.NEGOTIATION)
        move(e, d(2, 1), State.NEGOTIATION, State.ONBOARDING)
        # Customer at the start, moved ONBOARDING -> ACTIVE -> CHURNED, alert in ONBOARDING: not met, churned.
        f = AccountFactory(state=State.CHURNED, state_since=d(5, 1))
        move(f, dt.date(2025, 10, 1), State.NEGOTIATION, State.ONBOARDING)
        move(f, d(3, 1), State.ONBOARDING, State.ACTIVE)
        move(f, d(5, 1), State.ACTIVE, State.CHURNED)
        alert(f, State.ONBOARDING, d(2, 1), d(3, 1))
        overall = outcomes()["customers"]["overall"]
        assert (overall.met.hits, overall.met.n) == (1, 2)
        assert (overall.not_met.hits, overall.not_met.n) == (1, 2)

    def test_lead_conversion(self):
        # Lead at the start, converted to NEGOTIATION: met.
        a = AccountFactory(state=State.NEGOTIATION, state_since=d(3, 1), icp_tier="A")
        move(a, dt.date(2025, 11, 1), "", State.LEAD)
        move(a, d(2, 1), State.LEAD, State.HOT_LEAD)
        move(a, d(3, 1), State.HOT_LEAD, State.NEGOTIATION)
        # Lead at the start, dropped to TARGET_NO_LEAD, alert before that: not met, not converted.
        b = AccountFactory(state=State.TARGET_NO_LEAD, state_since=d(3, 1), icp_tier="A")
        move(b, dt.date(2025, 11, 1), "", State.HOT_LEAD)
        move(b, d(3, 1), State.HOT_LEAD, State.TARGET_NO_LEAD)
        alert(b, State.HOT_LEAD, d(2, 1), d(3, 1))
        # Lead still, no alert: met, not converted.
        c = AccountFactory(state=State.LEAD, state_since=dt.date(2025, 11, 1), icp_tier="B")
        move(c, dt.date(2025, 11, 1), "", State.LEAD)
        # Converted after the period: not converted in it.
        e = AccountFactory(state=State.NEGOTIATION, state_since=d(7, 10), icp_tier="B")
        move(e, dt.date(2025, 11, 1), "", State.LEAD)
        move(e, d(7, 10), State.LEAD, State.NEGOTIATION)
        found = outcomes()["leads"]
        assert (found["overall"].met.hits, found["overall"].met.n) == (1, 3)
        assert (found["overall"].not_met.hits, found["overall"].not_met.n) == (0, 1)
        assert (found["by_tier"]["A"].met.hits, found["by_tier"]["A"].met.n) == (1, 1)
        assert found["by_tier"]["B"].met.n == 2


@pytest.mark.django_db
def test_empty_database_gives_zeros_and_no_verdict():
    night(END)
    payload = oc.outcomes_payload(DashboardFilters(date_from=START, date_to=END))
    assert payload["as_of"] == END.isoformat() and payload["from"] == START.isoformat()
    for cohort in oc.COHORTS:
        overall = payload["cohorts"][cohort]["overall"]
        assert overall["met"] == {"accounts": 0, "hits": 0, "rate": None, "low": None, "high": None}
        assert overall["verdict"] == "too_few"
        assert set(payload["cohorts"][cohort]["by_tier"]) == set(oc.TIERS)


@pytest.mark.django_db
def test_before_the_first_night_there_are_no_figures():
    negotiation(outcome=State.ACTIVE)
    payload = oc.outcomes_payload(DashboardFilters())
    assert payload["as_of"] is None and payload["cohorts"] == {}


@pytest.mark.django_db
def test_reps_see_their_own_and_their_teams_accounts_only():
    mine = UserFactory(username="rep-a", role=Role.SALES, team="east")
    mate = UserFactory(username="rep-b", role=Role.CSM, team="east")
    other = UserFactory(username="rep-c", role=Role.SALES, team="west")
    loner = UserFactory(username="rep-d", role=Role.SALES, team="")
    for owner in (mine, mate, other, loner):
        account = negotiation(outcome=State.ACTIVE)
        account.owner_sales = owner
        account.save()
    both = negotiation(outcome=State.ACTIVE)  # owned by two of the team: counted once
    both.owner_sales, both.owner_csm = mine, mate
    both.save()
    assert outcomes(user=mine)["negotiation"]["overall"].met.n == 3
    assert outcomes(user=loner)["negotiation"]["overall"].met.n == 1
    assert outcomes(user=UserFactory(username="boss", role=Role.MANAGER))["negotiation"]["overall"].met.n == 5
    assert outcomes()["negotiation"]["overall"].met.n == 5
    assert outcomes(owner=mate.pk)["negotiation"]["overall"].met.n == 2
    assert outcomes(team="west")["negotiation"]["overall"].met.n == 1


@pytest.mark.django_db
def test_industry_region_and_state_filters():
    a = negotiation("A", outcome=State.ACTIVE)
    a.industry, a.regions = "it", ["Kanto", "Kansai"]
    a.save()
    b = negotiation("B", outcome=State.LEAD)
    b.industry, b.regions = "retail", ["Kansai"]
    b.save()
    assert outcomes()["negotiation"]["overall"].met.n == 2  # a once, though in two regions
    assert outcomes(region="kansai")["negotiation"]["overall"].met.n == 2
    kanto = outcomes(region="Kanto")["negotiation"]["overall"]
    assert (kanto.met.hits, kanto.met.n) == (1, 1)
    assert outcomes(industry="RETAIL")["negotiation"]["overall"].met.hits == 0
    assert list(outcomes(state=State.NEGOTIATION)) == ["negotiation"]
    assert list(outcomes(state=State.LOYAL)) == ["customers"]
    assert outcomes(state=State.OUT_OF_SCOPE) == {}


@pytest.mark.django_db
def test_one_statement_whatever_the_accounts(django_assert_max_num_queries):
    for _ in range(5):
        negotiation(outcome=State.ACTIVE, alert_on=d(2, 3))
    night(END)
    with django_assert_max_num_queries(2):
        oc.outcome_figures(DashboardFilters(date_from=START, date_to=END))


@pytest.mark.parametrize("query, field", [({"from": "2026-05-01", "to": "2026-04-01"}, "from"),
                                          ({"from": "2024-01-01", "to": "2026-01-01"}, "from"),
                                          ({"from": "2024-06-28", "to": "2024-07-30"}, "from")])
def test_bad_period_names_the_field(query, field):
    f = DashboardFilters(date_from=dt.date.fromisoformat(query["from"]),
                         date_to=dt.date.fromisoformat(query["to"]) if "to" in query else None)
    with pytest.raises(FilterError) as refused:
        oc.period(f, END)
    assert refused.value.field == field


def test_default_period_is_180_days_to_the_night_and_ends_there_at_the_latest():
    assert oc.period(DashboardFilters(), END) == (END - dt.timedelta(days=179), END)
    later = DashboardFilters(date_from=START, date_to=END + dt.timedelta(days=9))
    assert oc.period(later, END) == (START, END)
    assert oc.period(DashboardFilters(date_from=dt.date(2024, 6, 30)), END)[0] == dt.date(2024, 6, 30)


# --- The page, its CSV and the API -------------------------------------------------------------------------------

PAGE, API = "/dashboards/outcomes/", "/api/v1/dashboards/outcomes/"
PERIOD = {"from": START.isoformat(), "to": END.isoformat()}


def _en(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.mark.django_db
def test_page_access_every_role(client, personas):
    from tests.web.access import assert_page_access

    assert_page_access(client, personas, PAGE, tuple(Role.values))


@pytest.mark.django_db
def test_api_access(api, personas):
    assert_api_serves_every_role(personas, API, api)


@pytest.mark.django_db
def test_page_shows_counts_labels_and_the_too_few_verdict(client, manager):
    negotiation("A", outcome=State.ACTIVE)
    negotiation("A", outcome=State.LEAD, alert_on=d(2, 3))
    night(END)
    client.force_login(_en(manager))
    page = client.get(PAGE, PERIOD).content.decode()
    assert "Negotiations: win rate" in page and "Tier A" in page and "No tier" in page
    assert "Too few accounts to judge (fewer than 30 on a side)." in page
    assert ">NEGOTIATION<" not in page  # labels, not codes (the state filter's option values aside)
    assert "No accounts in this group for the period." in page  # customers and leads are empty


@pytest.mark.django_db
def test_csv_export_with_bom_and_the_tables_figures(client, manager):
    negotiation("B", outcome=State.ACTIVE)
    negotiation("B", outcome=State.ACTIVE)
    negotiation("B", outcome=State.LEAD, alert_on=d(2, 3))
    night(END)
    client.force_login(_en(manager))
    response = client.get(PAGE, {**PERIOD, "format": "csv", "table": "negotiation"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text[1:].splitlines()
    assert lines[0].startswith("ICP tier,Met: accounts,Met: outcome,Met: rate (%)")
    assert lines[1].startswith("All tiers,2,2,100.0,34.2–100.0,1,0,0.0,0.0–79.3,0,0,Too few")
    assert client.get(PAGE, {"format": "csv", "table": "nope"}).status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("query, field, label", [({"from": "x"}, "from", "From"), ({"tier": "Z"}, "tier", "ICP tier"), ({"icp_tier": "Z"}, "icp_tier", "ICP tier"),
                                                 ({"from": "2026-05-01", "to": "2026-04-01"}, "from", "From")])
def test_bad_filters_name_the_field(client, api, manager, query, field, label):
    night(END)
    client.force_login(_en(manager))
    page = client.get(PAGE, query)
    assert page.status_code == 400 and f"{label}: " in page.content.decode()
    assert client.get(PAGE, {**query, "format": "csv", "table": "leads"}).status_code == 400
    api.force_authenticate(manager)
    response = api.get(API, query)
    assert response.status_code == 400 and list(response.json()) == [field]


@pytest.mark.django_db
def test_api_answers_the_figures_in_the_readers_scope(api, sales, manager):
    mine = negotiation("A", outcome=State.ACTIVE)
    mine.owner_sales = sales
    mine.save()
    negotiation("A", outcome=State.LEAD)
    night(END)
    api.force_authenticate(manager)
    data = api.get(API, PERIOD).json()
    assert data["scope"] == "all" and data["min_sample"] == 30
    assert data["cohorts"]["negotiation"]["overall"]["met"] == {"accounts": 2, "hits": 1, "rate": 0.5,
                                                                "low": 0.0945, "high": 0.9055}
    api.force_authenticate(sales)
    data = api.get(API, {**PERIOD, "tier": "A"}).json()
    assert data["scope"] == "team" and list(data["cohorts"]["negotiation"]["by_tier"]) == ["A"]
    assert data["cohorts"]["negotiation"]["overall"]["met"]["accounts"] == 1


@pytest.mark.django_db
def test_page_query_budget(client, manager, django_assert_max_num_queries):
    for _ in range(5):
        negotiation("C", outcome=State.ACTIVE, alert_on=d(2, 2))
    night(END)
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        assert client.get(PAGE).status_code == 200


@pytest.mark.django_db
def test_page_gives_the_verdict_when_the_sample_is_large_and_apart(client, manager):
    for _ in range(30):
        negotiation("A", outcome=State.ACTIVE)
    for i in range(30):
        negotiation("A", outcome=State.ACTIVE if i < 3 else State.LEAD, alert_on=d(2, 5))
    night(END)
    client.force_login(_en(manager))
    page = client.get(PAGE, PERIOD).content.decode()
    assert page.count("Covered accounts win more often.") == 2  # all tiers, and tier A
    assert "88.6–100.0" in page and "3.5–25.6" in page


@pytest.mark.django_db
def test_page_filters_link_each_row_to_the_accounts_list_and_the_export_keeps_them(client, manager, sales):
    mine = negotiation("A", outcome=State.ACTIVE)
    mine.owner_sales = sales
    mine.save()
    negotiation("A", outcome=State.LEAD)
    night(END)
    client.force_login(_en(manager))
    page = client.get(PAGE, {**PERIOD, "team": "east"}).content.decode()
    assert "/accounts/?team=east&amp;icp_tier=A" in page and "/accounts/?team=east\"" in page
    export = re.search(r'class="export" href="\?([^"]+table=negotiation)"', page).group(1).split("&amp;")
    assert {"team=east", f"from={START}", f"to={END}", "format=csv"} <= set(export)
    response = client.get(PAGE, {**PERIOD, "team": "east", "format": "csv", "table": "negotiation"})
    lines = response.content.decode("utf-8")[1:].splitlines()
    assert lines[1].startswith("All tiers,1,1,100.0,")  # only the team's account
    assert client.get(PAGE, {**PERIOD, "owner": str(sales.pk), "format": "csv", "table": "leads"}).status_code == 200


@pytest.mark.django_db
def test_rep_reads_own_and_team_figures_and_is_refused_another_team(client, api, sales):
    mine = negotiation("B", outcome=State.ACTIVE)
    mine.owner_sales = sales
    mine.save()
    negotiation("B", outcome=State.ACTIVE)  # nobody's
    night(END)
    client.force_login(_en(sales))
    page = client.get(PAGE, PERIOD).content.decode()
    assert "Your accounts and your team" in page and "Everyone" not in page
    response = client.get(PAGE, {**PERIOD, "format": "csv", "table": "negotiation"})
    assert response.content.decode("utf-8")[1:].splitlines()[1].startswith("All tiers,1,1,")
    assert client.get(PAGE, {"team": "west"}).status_code == 400
    api.force_authenticate(sales)
    assert list(api.get(API, {"team": "west"}).json()) == ["team"]
