import datetime as dt

import pytest
from django.urls import reverse

from core.choices import Role, State
from core.timeutil import business_today
from engine import worklist
from engine.models import Alert
from tests.factories import OpportunityFactory
from tests.web.factories import under_covered

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return business_today()


def listed_names(response) -> list[str]:
    return [item["alert"].account.name for item in response.context["items"]]


def test_today_lists_my_open_unsnoozed_alerts_only(client, sales, manager, today):
    mine = under_covered(assignee=sales, name="Mine", opened_on=today)
    snoozed = under_covered(assignee=sales, name="Snoozed", opened_on=today)
    Alert.objects.filter(pk=snoozed.pk).update(snoozed_until=today + dt.timedelta(days=3))
    under_covered(assignee=sales, name="Snooze over", opened_on=today)
    Alert.objects.filter(account__name="Snooze over").update(snoozed_until=today)
    under_covered(assignee=manager, name="Someone else's", opened_on=today)
    resolved = under_covered(assignee=sales, name="Resolved", opened_on=today)
    Alert.objects.filter(pk=resolved.pk).update(status=Alert.Status.RESOLVED, resolved_on=today, resolution="covered")
    client.force_login(sales)
    response = client.get(reverse("today"))
    assert response.status_code == 200
    assert sorted(listed_names(response)) == ["Mine", "Snooze over"]
    assert mine.account.name in response.content.decode()


def test_queue_toggle_shows_the_unassigned_alerts_of_my_role(client, sales, today):
    under_covered(assignee=sales, name="Mine", opened_on=today)
    under_covered(assignee=None, name="Unassigned sales", role=Role.SALES, opened_on=today)
    under_covered(assignee=None, name="Unassigned CSM", role=Role.CSM, state=State.ONBOARDING, opened_on=today)
    client.force_login(sales)
    assert listed_names(client.get(reverse("today"), {"queue": "1"})) == ["Unassigned sales"]


def test_today_puts_the_most_urgent_first_by_the_documented_priority(client, sales, today):
    """State weight, then days overdue, then gap, then ICP fit, then open deal amount (engine.worklist)."""
    long_ago = today - dt.timedelta(days=20)
    under_covered(assignee=sales, name="Lead, very late", state=State.LEAD, kind="digital", opened_on=long_ago,
                  role=Role.MARKETING)
    under_covered(assignee=sales, name="Negotiation, fresh", state=State.NEGOTIATION, opened_on=today)
    under_covered(assignee=sales, name="Negotiation, late", state=State.NEGOTIATION, opened_on=today - dt.timedelta(days=5))
    # Same state and lateness: the bigger gap first.
    under_covered(assignee=sales, name="Hot lead, gap 2", state=State.HOT_LEAD, min_count=2, opened_on=today)
    under_covered(assignee=sales, name="Hot lead, gap 1", state=State.HOT_LEAD, min_count=1, opened_on=today)
    # Same state, lateness and gap: the better ICP fit first, then the bigger open deal.
    under_covered(assignee=sales, name="Onboarding, fit 90", state=State.ONBOARDING, opened_on=today, icp_fit=90)
    under_covered(assignee=sales, name="Onboarding, fit 50, small deal", state=State.ONBOARDING, opened_on=today,
                  icp_fit=50, deal_amount=1_000)
    under_covered(assignee=sales, name="Onboarding, fit 50, big deal", state=State.ONBOARDING, opened_on=today,
                  icp_fit=50, deal_amount=2_000_000)
    # The last touch + window dates the lateness when there was a touch: due 10 days ago.
    under_covered(assignee=sales, name="Negotiation, touched long ago", state=State.NEGOTIATION, opened_on=today,
                  last_touch_on=today - dt.timedelta(days=17), window_days=7)
    client.force_login(sales)
    assert listed_names(client.get(reverse("today"))) == [
        "Negotiation, touched long ago",
        "Negotiation, late",
        "Negotiation, fresh",
        "Hot lead, gap 2",
        "Hot lead, gap 1",
        "Onboarding, fit 90",
        "Onboarding, fit 50, big deal",
        "Onboarding, fit 50, small deal",
        "Lead, very late",
    ]


def test_each_item_says_why_it_is_on_the_list(client, sales, today):
    under_covered(assignee=sales, name="Acme", state=State.NEGOTIATION, window_days=7,
                  last_touch_on=dt.date(2026, 7, 1), opened_on=today)
    under_covered(assignee=sales, name="Beta", state=State.LEAD, kind="digital", min_count=2, counted=1, window_days=30,
                  opened_on=today, role=Role.MARKETING)
    sales.language = "en"
    sales.save()
    client.force_login(sales)
    page = client.get(reverse("today")).content.decode()
    assert "No human touch in the last 7 days — 1 needed, 0 logged; last touch 2026-07-01" in page
    assert "Only 1 digital touches in the last 30 days — 2 needed; last touch none" in page


def test_days_overdue_counts_from_the_last_due_date_or_the_day_the_alert_opened(sales, today):
    under_covered(assignee=sales, name="Touched", opened_on=today - dt.timedelta(days=2),
                  last_touch_on=today - dt.timedelta(days=10), window_days=7)
    under_covered(assignee=sales, name="Never touched", opened_on=today - dt.timedelta(days=4))
    overdue = {a.account.name: a.days_overdue for a in worklist.today_alerts(user=sales, today=today)}
    assert overdue == {"Touched": 3, "Never touched": 4}


def test_today_reads_a_fixed_number_of_queries_for_3_or_30_alerts(client, sales, today, django_assert_max_num_queries):
    client.force_login(sales)
    budgets = []
    for n in (3, 30):
        Alert.objects.all().delete()
        for i in range(n):
            alert = under_covered(assignee=sales, name=f"Account {n}-{i}", opened_on=today)
            OpportunityFactory(account=alert.account, amount=i * 10, status="open")
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with django_assert_max_num_queries(6), CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("today"))
        assert len(response.context["items"]) == n
        budgets.append(len(ctx.captured_queries))
    assert budgets[0] == budgets[1]


def test_today_pages_through_a_long_list_in_priority_order_without_repeats(client, sales, today, monkeypatch):
    monkeypatch.setattr(worklist, "PAGE_SIZE", 2)
    for i in range(5):
        under_covered(assignee=sales, name=f"A{i}", opened_on=today - dt.timedelta(days=i))
    client.force_login(sales)
    seen, url = [], reverse("today")
    for _ in range(5):
        response = client.get(url)
        seen += listed_names(response)
        if not response.context["next_cursor"]:
            break
        url = reverse("today") + "?after=" + response.context["next_cursor"]
    assert seen == ["A4", "A3", "A2", "A1", "A0"]


def test_a_tampered_cursor_starts_from_the_first_page(client, sales, today):
    under_covered(assignee=sales, name="Only", opened_on=today)
    client.force_login(sales)
    for bad in ("not-base64!!", "WzEsMl0", "eyJhIjogMX0"):
        response = client.get(reverse("today"), {"after": bad})
        assert response.status_code == 200
        assert listed_names(response) == ["Only"]


def test_hostile_account_name_is_shown_as_text_on_today(client, sales, today):
    under_covered(assignee=sales, name="<script>alert(1)</script>", opened_on=today)
    client.force_login(sales)
    page = client.get(reverse("today")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [("ja", ["今日", "接触を記録", "スヌーズ"], ["Log touch"]), ("en", ["Today", "Log touch", "Snooze"], ["接触を記録"])],
)
def test_today_speaks_the_users_language(client, sales, today, language, expected, absent):
    under_covered(assignee=sales, name="Acme", opened_on=today)
    sales.language = language
    sales.save()
    client.force_login(sales)
    page = client.get(reverse("today")).content.decode()
    for text in expected:
        assert text in page
    for text in absent:
        assert text not in page


def test_the_japanese_reason_line_is_translated(client, sales, today):
    under_covered(assignee=sales, name="Acme", window_days=7, last_touch_on=dt.date(2026, 7, 1), opened_on=today)
    client.force_login(sales)  # personas default to Japanese
    page = client.get(reverse("today")).content.decode()
    assert "直近7日間に人的接触がありません — 必要 1 件、記録 0 件。最終接触 2026-07-01" in page


def test_empty_today_says_everything_is_covered(client, sales):
    client.force_login(sales)
    response = client.get(reverse("today"))
    assert response.status_code == 200
    assert response.context["items"] == []


def test_the_reason_names_the_roles_whose_touches_count(client, csm, today):
    under_covered(assignee=csm, name="Loyal Co", state=State.LOYAL, requirement="executive", window_days=365,
                  role=Role.CSM, opened_on=today)
    csm.language = "en"
    csm.save()
    client.force_login(csm)
    page = client.get(reverse("today")).content.decode()
    assert "No human (by Executive) touch in the last 365 days — 1 needed, 0 logged; last touch none" in page


def test_every_item_has_its_own_labelled_fields_with_its_requirements_kind_chosen(client, sales, today):
    """The item forms' fields are rendered once per page and given each item's ids: labels must still point at
    their own item's inputs, and the kind offered first is the one the requirement counts."""
    import re

    human = under_covered(assignee=sales, name="Needs a call", kind="human", opened_on=today)
    digital = under_covered(assignee=sales, name="Needs a mail", kind="digital", opened_on=today)
    client.force_login(sales)
    html = client.get(reverse("today")).content.decode()
    assert "placeholder" not in re.sub(r'placeholder="[^"]*"', "", html)
    for alert, kind in ((human, "human"), (digital, "digital")):
        item = html[html.index(f'id="alert-{alert.pk}"'):]
        item = item[:item.index("</li>")]
        for name in ("kind", "channel", "content_stage", "note", "until"):
            assert f'for="a{alert.pk}_{name}"' in item and f'id="a{alert.pk}_{name}"' in item, name
        chosen = re.search(r'<select name="kind"[^>]*>.*?</select>', item, re.S).group(0)
        assert re.search(rf'<option value="{kind}" selected>', chosen)
