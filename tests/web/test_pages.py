import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from core.choices import Role, State
from core.navigation import navigation_for
from core.permissions import EVERYONE, MANAGERS
from core.timeutil import business_today
from engine.models import Alert, CoverageRow
from segments.models import StateTransition
from tests.factories import AccountFactory, LeadFactory, OpportunityFactory, TouchFactory
from tests.web.access import assert_page_access
from tests.web.factories import under_covered

pytestmark = pytest.mark.django_db

# (url name, needs an account id?, roles that may open it)
PAGES = [
    ("today", False, EVERYONE),
    ("accounts:list", False, EVERYONE),
    ("accounts:export", False, EVERYONE),
    ("accounts:detail", True, EVERYONE),
    ("engine:alerts", False, MANAGERS),
    ("engine:alerts-export", False, MANAGERS),
]


@pytest.mark.parametrize(("name", "needs_account", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_sends_anonymous_to_login_refuses_other_roles_and_serves_its_roles(client, personas, name, needs_account, allowed):
    args = [AccountFactory().pk] if needs_account else []
    assert_page_access(client, personas, reverse(name, args=args), allowed)


@pytest.mark.parametrize("name", ["contacts:log", "engine:alert-snooze", "engine:alert-acknowledge"])
def test_actions_need_a_signed_in_user_and_a_post(client, sales, name):
    url = reverse(name, args=[1])
    assert client.post(url)["Location"].startswith("/login/?next=")
    client.force_login(sales)
    assert client.get(url).status_code == 405


@pytest.mark.parametrize(("role", "landing"), [
    (Role.SALES, "/today/"), (Role.CSM, "/today/"), (Role.MARKETING, "/today/"), (Role.MANAGER, "/today/"),
    (Role.EXECUTIVE, "/today/"),
])
def test_people_land_where_their_work_is(client, personas, role, landing):
    client.force_login(personas[role])
    assert client.get("/")["Location"] == landing


def test_admin_lands_on_imports_when_that_page_exists_else_on_today(client, admin_user):
    from django.urls import NoReverseMatch

    client.force_login(admin_user)
    try:
        expected = reverse("core:imports")
    except NoReverseMatch:
        expected = reverse("today")
    assert client.get("/")["Location"] == expected


def test_login_with_the_form_lands_a_rep_on_today(client, sales):
    response = client.post(reverse("login"), {"username": "sora", "password": "pw"}, follow=True)
    assert response.redirect_chain[-1][0] == "/today/"
    assert response.status_code == 200


def test_choosing_a_language_is_remembered_on_the_user(client, sales):
    sales.language = "ja"
    sales.save()
    client.force_login(sales)
    response = client.post(reverse("core:set_language"), {"language": "en", "next": "/accounts/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/"
    sales.refresh_from_db()
    assert sales.language == "en"
    assert "Log out" in client.get(reverse("today")).content.decode()
    # A new session (another browser) gets the same language.
    client.logout()
    client.force_login(sales)
    assert "Log out" in client.get(reverse("today")).content.decode()


def test_an_unknown_language_or_foreign_next_changes_nothing(client, sales):
    client.force_login(sales)
    response = client.post(reverse("core:set_language"), {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    sales.refresh_from_db()
    assert sales.language == "ja"


def test_the_language_form_in_the_header_posts_to_the_remembering_view(client, sales):
    client.force_login(sales)
    assert f'action="{reverse("core:set_language")}"' in client.get(reverse("today")).content.decode()


def test_navigation_shows_only_what_the_role_may_use(client, sales, manager):
    rep_items = {i["name"] for i in navigation_for(sales)}
    manager_items = {i["name"] for i in navigation_for(manager)}
    assert {"today", "accounts:list"} <= rep_items
    assert "engine:alerts" not in rep_items
    assert "engine:alerts" in manager_items
    client.force_login(sales)
    assert reverse("engine:alerts") not in client.get(reverse("today")).content.decode()


# --- account page -----------------------------------------------------------------------------------------


@pytest.fixture
def rich_account(sales, csm):
    today = business_today()
    account = AccountFactory(name="<script>alert(1)</script>", state=State.NEGOTIATION, state_since=today,
                             owner_sales=sales, owner_csm=csm, industry="manufacturing", prefecture="東京都", icp_fit=77)
    StateTransition.objects.create(account=account, as_of=today, from_state=State.HOT_LEAD, to_state=State.NEGOTIATION,
                                   rule="NEGOTIATION", facts={"has_open_opportunity": True})
    StateTransition.objects.create(account=account, as_of=today - dt.timedelta(days=30), from_state="", to_state=State.HOT_LEAD,
                                   rule="HOT_LEAD", facts={"max_open_lead_score": 85})
    LeadFactory(account=account, score=85)
    OpportunityFactory(account=account, name="Big deal", amount=5_000_000, owner=sales)
    for i in range(3):
        TouchFactory(account=account, channel="phone", content_stage="solution", performer=sales, note=f"call {i}")
    under_covered(account=account, assignee=sales, state=State.NEGOTIATION, opened_on=today)
    return account


def test_account_page_shows_state_history_with_reasons_coverage_timeline_leads_deals_and_alerts(client, sales, rich_account):
    sales.language = "en"
    sales.save()
    client.force_login(sales)
    page = client.get(reverse("accounts:detail", args=[rich_account.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)</script>" not in page
    assert "Negotiation: a deal is open." in page and "Hot lead: an open lead scored 85." in page
    assert "has_open_opportunity" not in page and "max_open_lead_score" not in page
    assert "status-under_covered" in page
    assert "call 2" in page and "Solution" in page and "Phone" in page
    assert "Big deal" in page and "5000000" in page
    assert "gap 1, 0 logged" in page
    assert f'action="{reverse("contacts:log", args=[rich_account.pk])}"' in page
    assert "東京都" in page


def test_account_page_reads_a_fixed_number_of_queries(client, sales, rich_account, django_assert_max_num_queries):
    client.force_login(sales)
    url = reverse("accounts:detail", args=[rich_account.pk])
    # 12: one of them reads the state's requirements for the touch form's preselected content plan.
    with django_assert_max_num_queries(12):
        client.get(url)
    for i in range(20):
        TouchFactory(account=rich_account, performer=sales, note=f"more {i}")
        OpportunityFactory(account=rich_account, owner=sales)
        LeadFactory(account=rich_account)
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_unknown_account_is_404(client, sales):
    client.force_login(sales)
    assert client.get(reverse("accounts:detail", args=[999999])).status_code == 404


# --- accounts list and export -----------------------------------------------------------------------------


def test_accounts_list_filters_by_state_and_escapes_names(client, sales):
    AccountFactory(name="<script>alert(1)</script>", state=State.NEGOTIATION)
    AccountFactory(name="Quiet Co", state=State.LEAD)
    client.force_login(sales)
    page = client.get(reverse("accounts:list"), {"state": State.NEGOTIATION}).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)</script>" not in page
    assert "Quiet Co" not in page


def test_accounts_list_answers_htmx_with_the_table_only(client, sales):
    AccountFactory(name="Acme")
    client.force_login(sales)
    response = client.get(reverse("accounts:list"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="account-table"') and "<html" not in body and "Acme" in body


def test_accounts_list_pages_by_keyset_with_next_links(client, sales, monkeypatch):
    import accounts.views

    monkeypatch.setattr(accounts.views, "PAGE_SIZE", 2)
    for name in ["E", "A", "D", "B", "C"]:
        AccountFactory(name=name)
    client.force_login(sales)
    seen, url = [], reverse("accounts:list")
    while url:
        response = client.get(url)
        seen += [a.name for a in response.context["accounts"]]
        url = reverse("accounts:list") + "?after=" + response.context["next_cursor"] if response.context["next_cursor"] else None
    assert seen == ["A", "B", "C", "D", "E"]


def test_accounts_list_reads_a_fixed_number_of_queries(client, sales, csm, django_assert_max_num_queries):
    client.force_login(sales)
    for i in range(30):
        AccountFactory(owner_sales=sales, owner_csm=csm)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("accounts:list")).status_code == 200


def test_export_is_the_filtered_list_with_formula_cells_neutralised(client, sales):
    AccountFactory(name="=HYPERLINK(\"http://evil\")", state=State.NEGOTIATION, owner_sales=sales)
    AccountFactory(name="@SUM(1)", state=State.NEGOTIATION)
    AccountFactory(name="Plain", state=State.LEAD)
    client.force_login(sales)
    response = client.get(reverse("accounts:export"), {"state": State.NEGOTIATION})
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["name"] for r in rows) == ["'=HYPERLINK(\"http://evil\")", "'@SUM(1)"]
    assert {r["owner_sales"] for r in rows} == {"sora", ""}


def test_csv_cell_escapes_every_formula_prefix_and_keeps_numbers():
    from core.csvio import format_cell

    assert [format_cell(v) for v in ["=1", "+1", "-1", "@x", "\tx", "\rx", "ok", -5, None, True]] == [
        "'=1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "ok", "-5", "", "true"]


# --- managers' alert list ---------------------------------------------------------------------------------


def test_managers_filter_open_alerts_by_team_role_assignee_and_state(client, manager, sales, csm, marketer):
    today = business_today()
    under_covered(assignee=sales, name="East sales", state=State.NEGOTIATION, opened_on=today)
    under_covered(assignee=csm, name="East CSM", state=State.ONBOARDING, role=Role.CSM, opened_on=today)
    under_covered(assignee=marketer, name="No team", state=State.LEAD, role=Role.MARKETING, kind="digital", opened_on=today)
    under_covered(assignee=None, name="Nobody", state=State.LEAD, role=Role.MARKETING, kind="digital", opened_on=today)
    client.force_login(manager)

    def names(**params):
        return sorted(a.account.name for a in client.get(reverse("engine:alerts"), params).context["alerts"])

    assert names() == ["East CSM", "East sales", "No team", "Nobody"]
    assert names(team="east") == ["East CSM", "East sales"]
    assert names(role=Role.MARKETING) == ["No team", "Nobody"]
    assert names(assignee=str(csm.pk)) == ["East CSM"]
    assert names(assignee="none") == ["Nobody"]
    assert names(state=State.ONBOARDING) == ["East CSM"]


def test_managers_alert_list_reads_a_fixed_number_of_queries(client, manager, sales, django_assert_max_num_queries):
    today = business_today()
    for i in range(25):
        under_covered(assignee=sales, name=f"A{i}", opened_on=today)
    client.force_login(manager)
    with django_assert_max_num_queries(6):
        assert len(client.get(reverse("engine:alerts")).context["alerts"]) == 25


def test_bulk_reassign_without_a_selection_says_what_is_missing(client, manager, sales):
    client.force_login(manager)
    response = client.post(reverse("engine:alerts"), {"assignee": str(sales.pk)})
    assert response.status_code == 400
    assert "Select at least one alert." in response.content.decode() or "アラートを1件以上選択してください。" in response.content.decode()


def test_managers_reassign_alerts_in_bulk(client, manager, sales, csm):
    today = business_today()
    a = under_covered(assignee=sales, name="A", opened_on=today)
    b = under_covered(assignee=None, name="B", opened_on=today)
    c = under_covered(assignee=sales, name="C", opened_on=today)
    client.force_login(manager)
    response = client.post(reverse("engine:alerts"), {"alerts": [a.pk, b.pk], "assignee": csm.pk, "next": "/engine/alerts/"})
    assert response.status_code == 302
    assert set(Alert.objects.filter(assignee=csm).values_list("pk", flat=True)) == {a.pk, b.pk}
    assert Alert.objects.get(pk=c.pk).assignee == sales
    assert CoverageRow.objects.count() == 3
