"""The handoff feedback page /handoffs/feedback/ (docs/rules.md §8, "Handoff feedback"): figures worked out by hand
on handoffs decided through the services (the hours to decision kept on each), one table per grouping, CSV
exports, the period chooser, who may read it, and a fixed number of queries."""

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from core.choices import Role
from handoffs.feedback_views import FEEDBACK_ROLES
from handoffs.models import Handoff
from handoffs.services import handoff_accept, handoff_reject
from tests.handoffs.helpers import at, make_handoff, person
from tests.web.access import assert_anonymous_is_sent_to_login, assert_page_access

pytestmark = pytest.mark.django_db
URL = reverse("handoffs:feedback")
PERIOD = {"from": "2026-07-13", "to": "2026-07-19"}


def _decide(monkeypatch, when, service, **kwargs):
    with monkeypatch.context() as m:
        m.setattr(timezone, "now", lambda: when)
        return service(**kwargs)


def feedback_data(monkeypatch, *, profile=None) -> dict:
    """Five handoffs created in the week of 2026-07-13 (and one before it), decided as people would.

    | # | rule | created | sender → receiver | tier, source | outcome | business hours | breached |
    | 1 | 2 (8 h) | Mon 07-13 | s1 → ra | A, web | accepted Mon 11:00 | 2 | no (due Mon 17:00) |
    | 2 | 2 | Fri 07-17 | s1 → ra | A, web | accepted Tue 07-21 10:00 | 9 + 0 (Sat, Sun, Mon Marine Day) + 1 = 10 | yes |
    | 3 | 2 | Tue 07-14 | s2 → rb | C, event | rejected not_icp Wed 12:00 | 9 + 3 = 12 | yes (due Tue 17:00) |
    | 4 | 2 | Thu 07-16 | s2 → rb | C, event | pending | — | yes (past Thu 17:00 now) |
    | 5 | 1 (16 h) | Wed 07-15 | — → boss (a manager) | C, — | rejected no_budget Wed 10:00 | 1 | no |
    """
    s1, s2 = person("s1", Role.INSIDE_SALES), person("s2", Role.INSIDE_SALES)
    ra, rb, boss = person("ra", Role.SALES), person("rb", Role.SALES), person("boss", Role.MANAGER)
    facts = {"icp_profile": profile, "icp_profile_name": profile.name if profile else "Makers"}
    h1 = make_handoff(rule=2, created_on=dt.date(2026, 7, 13), assignee=ra, sender=s1, icp_tier="A",
                      lead_source="web", **facts)
    h2 = make_handoff(rule=2, created_on=dt.date(2026, 7, 17), assignee=ra, sender=s1, icp_tier="A",
                      lead_source="web", **facts)
    h3 = make_handoff(rule=2, created_on=dt.date(2026, 7, 14), assignee=rb, sender=s2, icp_tier="C",
                      lead_source="event", **facts)
    make_handoff(rule=2, created_on=dt.date(2026, 7, 16), assignee=rb, sender=s2, icp_tier="C", lead_source="event",
                 **facts)
    h5 = make_handoff(rule=1, created_on=dt.date(2026, 7, 15), icp_tier="C")
    old = make_handoff(rule=2, created_on=dt.date(2026, 7, 10), assignee=ra, sender=s1, icp_tier="A", **facts)
    _decide(monkeypatch, at(2026, 7, 13, 11), handoff_accept, actor=ra, handoff_id=h1.id)
    _decide(monkeypatch, at(2026, 7, 21, 10), handoff_accept, actor=ra, handoff_id=h2.id)
    _decide(monkeypatch, at(2026, 7, 15, 12), handoff_reject, actor=rb, handoff_id=h3.id, reason="not_icp",
            comment="Too small")
    _decide(monkeypatch, at(2026, 7, 15, 10), handoff_reject, actor=boss, handoff_id=h5.id, reason="no_budget")
    _decide(monkeypatch, at(2026, 7, 10, 10), handoff_accept, actor=ra, handoff_id=old.id)
    return {"h1": h1, "h2": h2, "h3": h3, "h5": h5}


@pytest.fixture
def data(monkeypatch):
    return feedback_data(monkeypatch)


def english(user):
    """The assertions read the English catalogue; the users' default is Japanese."""
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def rows(response, dimension):
    table = next(t for t in response.context["tables"] if t["dimension"] == dimension)
    return {row.label: row for row in table["rows"]}


def summary(row):
    f = row.figures
    return (f["handoffs"], f["accepted"], f["rejected"], row.acceptance_pct, f["median_business_hours_to_decision"],
            row.breached_pct, row.top_reason)


def test_the_services_keep_the_business_hours_to_each_decision(data):
    hours = {name: Handoff.objects.get(pk=h.pk).decision_business_hours for name, h in data.items()}
    assert hours == {"h1": 2.0, "h2": 10.0, "h3": 12.0, "h5": 1.0}


def test_the_overall_figures_worked_out_by_hand(client, manager, data):
    client.force_login(english(manager))
    response = client.get(URL, PERIOD)
    assert response.status_code == 200
    overall = response.context["overall"]
    # 2 accepted of 4 decided; median of 1, 2, 10, 12 = 6; handoffs 2, 3, 4 breached of 5.
    assert summary(overall) == (5, 2, 2, 50.0, 6.0, 60.0, "Not our ideal customer")
    assert overall.reasons == [("Not our ideal customer", 1), ("No budget", 1)]


def test_figures_by_rule_sender_and_receiver(client, manager, data):
    client.force_login(english(manager))
    response = client.get(URL, PERIOD)
    assert {k: summary(r) for k, r in rows(response, "rule").items()} == {
        "inside-sales-to-sales": (4, 2, 1, 66.7, 10.0, 75.0, "Not our ideal customer"),
        "lead-to-inside-sales": (1, 0, 1, 0.0, 1.0, 0.0, "No budget"),
    }
    assert {k: summary(r) for k, r in rows(response, "sender").items()} == {
        "s1": (2, 2, 0, 100.0, 6.0, 50.0, None),
        "s2": (2, 0, 1, 0.0, 12.0, 100.0, "Not our ideal customer"),
        "No sender": (1, 0, 1, 0.0, 1.0, 0.0, "No budget"),
    }
    # The receiver is who decided (the manager for #5), or the assignee while undecided (rb for #4).
    assert {k: summary(r) for k, r in rows(response, "receiver").items()} == {
        "boss": (1, 0, 1, 0.0, 1.0, 0.0, "No budget"),
        "ra": (2, 2, 0, 100.0, 6.0, 50.0, None),
        "rb": (2, 0, 1, 0.0, 12.0, 100.0, "Not our ideal customer"),
    }


def test_figures_by_icp_profile_tier_and_lead_source(client, marketer, data):
    client.force_login(english(marketer))
    response = client.get(URL, PERIOD)
    assert {k: summary(r) for k, r in rows(response, "icp_profile").items()} == {
        "Makers": (4, 2, 1, 66.7, 10.0, 75.0, "Not our ideal customer"),
        "No ICP profile": (1, 0, 1, 0.0, 1.0, 0.0, "No budget"),
    }
    assert {k: summary(r) for k, r in rows(response, "icp_tier").items()} == {
        "Tier A": (2, 2, 0, 100.0, 6.0, 50.0, None),
        "Tier C": (3, 0, 2, 0.0, 6.5, 66.7, "Not our ideal customer"),
    }
    assert {k: summary(r) for k, r in rows(response, "lead_source").items()} == {
        "event": (2, 0, 1, 0.0, 12.0, 100.0, "Not our ideal customer"),
        "web": (2, 2, 0, 100.0, 6.0, 50.0, None),
        "No lead source": (1, 0, 1, 0.0, 1.0, 0.0, "No budget"),
    }


def test_the_page_shows_labels_never_codes(client, marketer, data):
    client.force_login(english(marketer))
    page = client.get(URL, PERIOD).content.decode()
    for text in ("Not our ideal customer", "No budget", "Tier A", "Tier C", "inside-sales-to-sales", "66.7 %"):
        assert text in page
    text = re.sub(r"<[^>]+>", " ", page)  # what a reader sees (ids and links aside)
    for code in ("not_icp", "no_budget", "icp_tier", "lead_source", "inside_sales"):
        assert code not in text


def test_in_japanese_the_reasons_and_tiers_are_named_in_japanese(client, marketer, data):
    client.force_login(marketer)  # language: Japanese, the default
    page = re.sub(r"<[^>]+>", " ", client.get(URL, PERIOD).content.decode())
    assert "ICP外" in page and "not_icp" not in page


def test_each_table_exports_as_csv_for_excel(client, manager, data):
    client.force_login(english(manager))
    response = client.get(reverse("handoffs:feedback-export", args=["icp_tier"]), PERIOD)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "handoff-feedback-icp-tier-2026-07-13-2026-07-19.csv" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text[1:])))
    assert lines[0][:10] == ["ICP tier", "Handoffs", "Accepted", "Rejected", "Pending", "Superseded",
                             "Acceptance rate (%)", "Median business hours to decision", "Breached",
                             "Breached share (%)"]
    assert lines[0][10:12] == ["Not our ideal customer", "No budget"]
    assert lines[1][:10] == ["Tier A", "2", "2", "0", "0", "0", "100.0", "6.0", "1", "50.0"]
    assert lines[2][:12] == ["Tier C", "3", "0", "2", "1", "0", "0.0", "6.5", "2", "66.7", "1", "1"]
    assert len(lines) == 3


def test_every_table_has_its_export(client, manager, data):
    client.force_login(english(manager))
    for dimension in ("rule", "sender", "receiver", "icp_profile", "icp_tier", "lead_source"):
        response = client.get(reverse("handoffs:feedback-export", args=[dimension]), PERIOD)
        assert response.status_code == 200, dimension
        assert len(response.content.decode("utf-8").splitlines()) > 1, dimension
    assert client.get("/handoffs/feedback/nonsense.csv", PERIOD).status_code == 404


def test_the_default_period_is_the_90_days_to_today(client, manager):
    from core.timeutil import business_today

    client.force_login(english(manager))
    response = client.get(URL)
    assert response.status_code == 200
    today = business_today()
    assert (response.context["start"], response.context["end"]) == (today - dt.timedelta(days=89), today)


@pytest.mark.parametrize("query, message", [
    ({"from": "2026-13-01", "to": "2026-07-19"}, "From: Enter a valid date."),
    ({"from": "2026-07-13", "to": "yesterday"}, "To: Enter a valid date."),
    ({"from": "2026-07-20", "to": "2026-07-19"}, "The period must start on or before its end"),
])
def test_a_bad_period_is_refused_with_a_message_naming_the_field(client, manager, data, query, message):
    client.force_login(english(manager))
    response = client.get(URL, query)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "feedback-overall" not in page
    export = client.get(reverse("handoffs:feedback-export", args=["rule"]), query)
    assert export.status_code == 400 and message in export.content.decode()


def test_an_empty_period_says_so(client, manager, data):
    client.force_login(english(manager))
    response = client.get(URL, {"from": "2025-01-01", "to": "2025-01-31"})
    assert response.status_code == 200
    assert "No handoffs were created in this period." in response.content.decode()


def test_who_may_read_the_feedback(client, personas):
    assert_page_access(client, personas, URL, FEEDBACK_ROLES)
    assert set(FEEDBACK_ROLES) == {Role.ADMIN, Role.MANAGER, Role.MARKETING, Role.EXECUTIVE}
    export = reverse("handoffs:feedback-export", args=["rule"])
    assert_anonymous_is_sent_to_login(client, export)
    for role, user in personas.items():
        client.force_login(user)
        assert client.get(export).status_code == (200 if role in FEEDBACK_ROLES else 403), role


def _more(n):
    rep = person(f"rep{n}", Role.SALES)
    for i in range(n):
        make_handoff(rule=2, created_on=dt.date(2026, 7, 13 + i % 5), assignee=rep, icp_tier="ABC"[i % 3],
                     lead_source=f"src{i % 4}", sender=rep, status="accepted", decided_at=at(2026, 7, 17, 15),
                     decided_by=rep, decision_business_hours=float(i % 7))


def test_the_page_takes_a_fixed_number_of_queries(client, manager, data, django_assert_max_num_queries):
    client.force_login(english(manager))
    _more(5)
    with django_assert_max_num_queries(8):
        assert client.get(URL, PERIOD).status_code == 200
    _more(40)
    with django_assert_max_num_queries(8):
        response = client.get(URL, PERIOD)
    assert response.context["overall"].figures["handoffs"] == 50
    with django_assert_max_num_queries(7):
        assert client.get(reverse("handoffs:feedback-export", args=["sender"]), PERIOD).status_code == 200


def test_the_navigation_links_the_page_for_its_readers_only(personas):
    from core.navigation import navigation_for

    for role, user in personas.items():
        names = {item["name"] for item in navigation_for(user)}
        assert ("handoffs:feedback" in names) == (role in FEEDBACK_ROLES), role


def test_the_feedback_api_answers_the_roles_the_page_answers(personas):
    from rest_framework.test import APIClient

    api = APIClient()
    assert api.get("/api/v1/handoffs/feedback/").status_code in (401, 403)
    for role, user in personas.items():
        api.force_authenticate(user)
        status = api.get("/api/v1/handoffs/feedback/").status_code
        assert status == (200 if user.role in FEEDBACK_ROLES else 403), (role, status)
