"""What changed overnight (dashboards.changes; docs/rules.md §3, §5, §8): a hand-built night of two teams — its
transitions with their reasons, alerts opened and resolved, handoffs created — read by each role in its scopes,
for a chosen night, empty, at the business day's midnight edge, as CSV, and in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.choices import Role, State
from core.navigation import navigation_for
from engine.models import Alert
from engine.services import recompute_accounts, recompute_all
from segments.models import StateTransition
from tests.dashboards.access import assert_api_serves_every_role
from tests.engine.nights import seed_configuration
from tests.factories import AccountFactory, LeadFactory, OpportunityFactory, kept_night
from tests.handoffs.helpers import make_handoff
from tests.web.access import assert_page_access
from tests.web.factories import under_covered

pytestmark = pytest.mark.django_db

D = dt.date(2026, 7, 20)
BEFORE = D - dt.timedelta(days=1)
API = "/api/v1/dashboards/changes/"
PAGE = reverse("dashboards:changes")
HOT = {"first_won_on": None, "won_count": 0, "active_customer": False, "ever_customer": False,
       "has_open_opportunity": False, "has_open_lead": True, "max_open_lead_score": 92, "icp_fit": 40,
       "is_target": True}


@pytest.fixture(autouse=True)
def english(english_readers, west):
    """Everyone reads English here (the Japanese sentences: tests/segments/test_reasons.py)."""


@pytest.fixture
def api():
    client = APIClient()
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return client


@pytest.fixture
def night(sales, csm, inside_sales, west):
    """East: Sora's account turned hot (an alert opened, a handoff to Sora), Chika's account started onboarding (its
    negotiation alert resolved). West: Wes's account went into negotiation, with an alert and a handoff, and also
    changed the night before."""
    for day in (BEFORE, D):
        kept_night(day)
    hot = AccountFactory(name="Hot Co", owner_sales=sales, state=State.HOT_LEAD)
    onboarding = AccountFactory(name="Onboard Co", owner_csm=csm, state=State.ONBOARDING)
    western = AccountFactory(name="West Co", owner_sales=west, state=State.NEGOTIATION)
    made = {
        "hot": StateTransition.objects.create(account=hot, as_of=D, from_state=State.LEAD, to_state=State.HOT_LEAD,
                                              rule="hot_lead", facts=HOT),
        "onboarding": StateTransition.objects.create(
            account=onboarding, as_of=D, from_state=State.NEGOTIATION, to_state=State.ONBOARDING, rule="onboarding",
            facts={**HOT, "first_won_on": "2026-07-19", "won_count": 1, "active_customer": True}),
        "west": StateTransition.objects.create(account=western, as_of=D, from_state=State.HOT_LEAD,
                                               to_state=State.NEGOTIATION, rule="negotiation", facts=HOT),
        "west_before": StateTransition.objects.create(account=western, as_of=BEFORE, from_state=State.LEAD,
                                                      to_state=State.HOT_LEAD, rule="hot_lead", facts=HOT),
        # A new account of Sora's, classified for the first time: counted, not listed.
        "new": StateTransition.objects.create(account=AccountFactory(name="New Co", owner_sales=sales), as_of=D,
                                              from_state="", to_state=State.LEAD, rule="lead", facts=HOT),
    }
    made["opened"] = under_covered(account=hot, assignee=sales, state=State.HOT_LEAD, requirement="call",
                                   opened_on=D, as_of=D)
    made["old_alert"] = under_covered(account=hot, assignee=sales, state=State.HOT_LEAD, requirement="mail",
                                      opened_on=BEFORE, as_of=BEFORE)
    resolved = under_covered(account=onboarding, assignee=csm, state=State.NEGOTIATION, requirement="meet",
                             opened_on=BEFORE, as_of=BEFORE, role=Role.CSM)
    Alert.objects.filter(pk=resolved.pk).update(status=Alert.Status.RESOLVED, resolved_on=D,
                                                resolution=Alert.Resolution.STATE_CHANGED)
    made["resolved"] = resolved
    made["west_alert"] = under_covered(account=western, assignee=west, state=State.NEGOTIATION, opened_on=D, as_of=D)
    made["handoff"] = make_handoff(rule=1, account=hot, created_on=D, assignee=inside_sales, sender=sales)
    made["west_handoff"] = make_handoff(rule=2, account=western, created_on=D, assignee=west)
    return made


def _ids(body, name):
    return [row["id"] for row in body[name]["results"]]


def test_a_rep_sees_the_night_of_own_accounts_with_reasons(api, sales, night):
    api.force_authenticate(sales)
    body = api.get(API).json()
    assert body["as_of"] == D.isoformat() and body["scope"] == "mine" and body["scopes"] == ["mine", "team"]
    assert _ids(body, "transitions") == [night["hot"].id]
    assert body["first_classified"] == {"count": 1, "capped": False}  # New Co
    row = body["transitions"]["results"][0]
    assert row["reason"] == "Hot lead: an open lead scored 92, the threshold is 70."
    assert (row["from_state_label"], row["to_state_label"]) == ("Lead", "Hot lead")
    assert row["account"]["name"] == "Hot Co"
    assert _ids(body, "alerts_opened") == [night["opened"].id]  # not the one opened the night before
    assert body["alerts_opened"]["results"][0]["responsible_role_label"] == "Field sales"
    assert body["alerts_opened"]["results"][0]["assignee"]["username"] == "sora"
    assert _ids(body, "alerts_resolved") == []
    handoff = body["handoffs"]["results"][0]
    assert _ids(body, "handoffs") == [night["handoff"].id]  # Sora sent it
    assert (handoff["from_state_label"], handoff["to_state_label"], handoff["receiver"]["username"]) == (
        "Lead", "Hot lead", "ines")


def test_a_rep_switches_to_the_team_and_never_sees_another_team(api, sales, night):
    api.force_authenticate(sales)
    body = api.get(API, {"scope": "team"}).json()
    assert set(_ids(body, "transitions")) == {night["hot"].id, night["onboarding"].id}
    assert _ids(body, "alerts_resolved") == [night["resolved"].id]
    resolved = body["alerts_resolved"]["results"][0]
    assert resolved["reason"] == "State changed: the account is no longer In negotiation."
    assert resolved["resolution_label"] == "State changed"
    assert _ids(body, "handoffs") == [night["handoff"].id]
    refused = api.get(API, {"scope": "all"})
    assert refused.status_code == 400 and "scope" in refused.json()


def test_a_manager_sees_the_team_by_default_and_everyone_on_asking(api, manager, night):
    api.force_authenticate(manager)
    team = api.get(API).json()
    assert team["scope"] == "team" and team["scopes"] == ["team", "all"]
    assert set(_ids(team, "transitions")) == {night["hot"].id, night["onboarding"].id}
    everyone = api.get(API, {"scope": "all"}).json()
    assert set(_ids(everyone, "transitions")) == {night["hot"].id, night["onboarding"].id, night["west"].id}
    assert set(_ids(everyone, "alerts_opened")) == {night["opened"].id, night["west_alert"].id}
    assert set(_ids(everyone, "handoffs")) == {night["handoff"].id, night["west_handoff"].id}
    assert api.get(API, {"scope": "mine"}).status_code == 400


def test_an_executive_sees_everything_and_a_west_rep_only_the_west(api, executive, west, night):
    api.force_authenticate(executive)
    body = api.get(API).json()
    assert body["scope"] == "all" and body["transitions"]["count"] == 3
    assert body["first_classified"]["count"] == 1
    api.force_authenticate(west)
    body = api.get(API, {"scope": "team"}).json()
    assert _ids(body, "transitions") == [night["west"].id] and _ids(body, "handoffs") == [night["west_handoff"].id]


def test_a_chosen_night_shows_that_night_only(api, west, night):
    api.force_authenticate(west)
    body = api.get(API, {"as_of": BEFORE.isoformat()}).json()
    assert body["as_of"] == BEFORE.isoformat()
    assert _ids(body, "transitions") == [night["west_before"].id]
    assert _ids(body, "alerts_opened") == [] and _ids(body, "handoffs") == []


@pytest.mark.parametrize(("params", "field"), [({"as_of": "2026-13-01"}, "as_of"), ({"list": "touches"}, "list"),
                                                ({"before": "x"}, "before"), ({"scope": "world"}, "scope")])
def test_bad_input_names_the_field(api, client, sales, night, params, field):
    api.force_authenticate(sales)
    response = api.get(API, params)
    assert response.status_code == 400 and field in response.json()
    client.force_login(sales)
    page = client.get(PAGE, params)
    assert page.status_code == 400 and f"{field}:" in page.content.decode()


def test_the_page_lists_the_night_with_sentences_and_links(client, sales, night):
    client.force_login(sales)
    page = client.get(PAGE, {"scope": "team"}).content.decode()
    assert "Hot lead: an open lead scored 92, the threshold is 70." in page
    assert "Onboarding: the first deal was won on 2026-07-19, within the 183-day onboarding period." in page
    assert reverse("accounts:detail", args=[night["hot"].account_id]) in page
    assert "West Co" not in page
    assert "Under-covered: requirement call of Hot lead is 1 short (0 counted)." in page
    assert "active_customer" not in page and "max_open_lead_score" not in page
    assert "1 account was classified for the first time (a new account)." in page and "New Co" not in page


def test_empty_states(client, api, sales):
    client.force_login(sales)
    assert "No night has run yet" in client.get(PAGE).content.decode()
    kept_night(D)
    page = client.get(PAGE).content.decode()
    assert "Nothing changed last night." in page
    api.force_authenticate(sales)
    body = api.get(API).json()
    nothing = {"count": 0, "capped": False, "next_before": None, "results": []}
    assert body["as_of"] == D.isoformat() and body["first_classified"] == {"count": 0, "capped": False}
    assert all(body[n] == nothing for n in ("transitions", "alerts_opened", "alerts_resolved", "handoffs"))


def test_a_change_at_2359_and_one_at_0001_business_time_belong_to_their_own_nights(api, manager):
    """A logged touch re-evaluates its account as of the business date (docs/rules.md §1, §5): 23:59 Tokyo is still
    the 21st, 00:01 is the 22nd, whatever the UTC date."""
    seed_configuration()
    late, early = AccountFactory(name="Late Co", is_target=True), AccountFactory(name="Early Co", is_target=True)
    for account in (late, early):
        LeadFactory(account=account, score=90, created_on=dt.date(2026, 7, 1))
    recompute_all(as_of=D)  # both HOT_LEAD
    for account in (late, early):
        OpportunityFactory(account=account, opened_on=D)
    day = D + dt.timedelta(days=1)
    with mock.patch("django.utils.timezone.now", return_value=dt.datetime(2026, 7, 21, 14, 59, tzinfo=dt.UTC)):
        assert recompute_accounts(account_ids=[late.id])  # 23:59 on the 21st in Tokyo
    with mock.patch("django.utils.timezone.now", return_value=dt.datetime(2026, 7, 21, 15, 1, tzinfo=dt.UTC)):
        assert recompute_accounts(account_ids=[early.id])  # 00:01 on the 22nd in Tokyo
    api.force_authenticate(manager)
    names = {}
    for night_of in (day, day + dt.timedelta(days=1)):
        body = api.get(API, {"as_of": night_of.isoformat(), "scope": "all"}).json()
        names[night_of] = [(r["account"]["name"], r["to_state"]) for r in body["transitions"]["results"]]
    assert names == {day: [("Late Co", State.NEGOTIATION)],
                     day + dt.timedelta(days=1): [("Early Co", State.NEGOTIATION)]}


def test_csv_export_of_each_list(client, sales, night):
    client.force_login(sales)
    response = client.get(PAGE, {"scope": "team", "list": "transitions", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeffDate,Account ID,Account,From,To,Reason\r\n")
    assert "Hot lead: an open lead scored 92, the threshold is 70." in text and "West Co" not in text
    for name, expected in (("alerts_opened", "Sora Sales"), ("alerts_resolved", "State changed"),
                           ("handoffs", "Ines Inside")):
        body = b"".join(client.get(PAGE, {"scope": "team", "list": name, "format": "csv"}).streaming_content)
        assert expected in body.decode("utf-8"), name
    assert client.get(PAGE, {"format": "csv"}).status_code == 400  # which list?


def test_a_long_list_shows_the_first_rows_a_count_and_pages_the_rest(api, client, manager, night):
    accounts = [AccountFactory(name=f"Busy {i:02d}", owner_sales=night["hot"].account.owner_sales) for i in range(30)]
    StateTransition.objects.bulk_create([StateTransition(account=a, as_of=D, from_state=State.LEAD,
                                                         to_state=State.HOT_LEAD, rule="hot_lead", facts=HOT)
                                         for a in accounts])
    api.force_authenticate(manager)
    body = api.get(API).json()
    assert body["transitions"]["count"] == 32 and len(body["transitions"]["results"]) == 20
    cursor = body["transitions"]["next_before"]
    rest = api.get(API, {"list": "transitions", "before": cursor}).json()
    assert len(rest["transitions"]["results"]) == 12 and rest["transitions"]["next_before"] is None
    seen = _ids(body, "transitions") + _ids(rest, "transitions")
    assert len(set(seen)) == 32 and "alerts_opened" not in rest
    client.force_login(manager)
    assert "Show all 32" in client.get(PAGE).content.decode()


def test_every_role_reads_the_page_and_the_api_and_anonymous_does_not(client, api, personas, night):
    assert_page_access(client, personas, PAGE, allowed=Role.values)
    assert_api_serves_every_role(personas, API, api)


def test_a_fixed_number_of_queries_whatever_the_night(client, api, manager, night, django_assert_max_num_queries):
    client.force_login(manager)
    api.force_authenticate(manager)
    # The session and the user, the night, the thresholds, the rows of each list (and its count when longer), the
    # first classifications.
    with django_assert_max_num_queries(13):
        client.get(PAGE, {"scope": "all"})
    with django_assert_max_num_queries(11):
        api.get(API, {"scope": "all"})
    owner = night["hot"].account.owner_sales
    for i in range(25):
        account = AccountFactory(owner_sales=owner)
        StateTransition.objects.create(account=account, as_of=D, from_state=State.LEAD, to_state=State.HOT_LEAD,
                                       rule="hot_lead", facts=HOT)
        under_covered(account=account, assignee=owner, state=State.HOT_LEAD, opened_on=D, as_of=D)
        make_handoff(rule=1, account=account, created_on=D, sender=owner)
    with django_assert_max_num_queries(13):
        assert client.get(PAGE, {"scope": "all"}).status_code == 200
    with django_assert_max_num_queries(11):
        assert api.get(API, {"scope": "all"}).status_code == 200
    with django_assert_max_num_queries(14):  # and the team's members
        assert client.get(PAGE, {"scope": "team"}).status_code == 200


def test_every_role_finds_the_page_in_the_navigation(personas):
    assert all("dashboards:changes" in {i["name"] for i in navigation_for(user)} for user in personas.values())


def test_a_rep_without_a_team_has_only_own_accounts(api, marketer, night):
    api.force_authenticate(marketer)
    body = api.get(API).json()
    assert body["scopes"] == ["mine"] and body["transitions"]["count"] == 0
    assert api.get(API, {"scope": "team"}).status_code == 400
