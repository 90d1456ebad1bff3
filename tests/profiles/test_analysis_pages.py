"""ICP analysis pages: access per role, query budgets, hostile text, and the one write (a draft profile).

Review, learning and breadth read the stored snapshots: the fixtures compute them (as the background refresh
does) before the pages are read; tests/profiles/test_analysis_snapshot_pages.py covers the refresh itself."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import Account
from core.choices import Role, State
from core.permissions import EVERYONE
from profiles.models import AnalysisRefresh, IcpProfile
from profiles.services import analysis_refresh_all, profile_save
from tests.factories import AccountFactory, OpportunityFactory, TouchFactory
from tests.web.access import assert_page_access

pytestmark = pytest.mark.django_db

EDITORS = (Role.MARKETING, Role.MANAGER, Role.ADMIN)
HOSTILE = "<script>alert('x')</script> Evil KK"


@pytest.fixture
def profile():
    profile_save(name="Manufacturers", rescore=False, criteria=[
        {"attribute": "industry", "op": "eq", "value": "manufacturing", "weight": 60},
        {"attribute": "employees", "op": "gte", "value": 300, "weight": 40},
    ])
    version = profile_save(name="Manufacturers", rescore=False, comment="tighter", criteria=[
        {"attribute": "industry", "op": "eq", "value": "manufacturing", "weight": 50},
        {"attribute": "employees", "op": "gte", "value": 1000, "weight": 30},
        {"attribute": "departments", "op": "contains", "value": "marketing", "weight": 20},
    ])
    return version.profile


@pytest.fixture
def market():
    """Best customers share manufacturing and marketing departments; the market mostly does not."""
    accounts = []
    for i in range(12):
        account = AccountFactory(name=f"Loyal {i}", state=State.LOYAL, industry="manufacturing", employees=1500,
                                 departments=["marketing"], regions=["関東"], icp_tier="A")
        OpportunityFactory(account=account, status="won", closed_on=dt.date(2026, 3, 1))
        accounts.append(account)
    for i in range(20):
        accounts.append(AccountFactory(name=f"Lead {i}", state=State.LEAD, industry="retail" if i % 4 else "manufacturing",
                                       employees=40, regions=["関西"], icp_tier="B" if i % 2 else "C"))
    accounts.append(AccountFactory(name=HOSTILE, state=State.LEAD, industry="<b>bold</b>", employees=2000,
                                   icp_tier="A", regions=["<i>r</i>"]))
    TouchFactory(account=accounts[0])
    return accounts


@pytest.fixture
def snapshots(profile, market):
    """What the background refresh stores, including the older version 1 (asked for on its review page)."""
    analysis_refresh_all(version=profile.versions.get(number=1))


def _pages(profile, account):
    return [
        reverse("profiles:review", args=[profile.pk]),
        reverse("profiles:explain", args=[profile.pk, account.pk]),
        reverse("profiles:learn"),
        reverse("profiles:validate", args=[profile.pk]),
        reverse("profiles:breadth"),
    ]


def test_every_analysis_page_sends_anonymous_to_login_and_serves_every_role(client, personas, profile, market, snapshots):
    for url in _pages(profile, market[0]):
        assert_page_access(client, personas, url, EVERYONE)


def test_pages_of_a_missing_profile_or_account_are_not_found(client, marketer, profile):
    client.force_login(marketer)
    assert client.get(reverse("profiles:review", args=[9999])).status_code == 404
    assert client.get(reverse("profiles:explain", args=[profile.pk, 9999])).status_code == 404
    assert client.get(reverse("profiles:validate", args=[9999])).status_code == 404


@pytest.mark.parametrize(("name", "budget"), [
    ("profiles:review", 12), ("profiles:explain", 10), ("profiles:learn", 7), ("profiles:validate", 14),
    ("profiles:breadth", 7),
])
def test_each_page_keeps_a_query_budget_whatever_the_number_of_accounts(client, marketer, profile, market, name, budget,
                                                                       snapshots, django_assert_max_num_queries):
    url = _pages(profile, market[0])[[p[0] for p in PAGE_NAMES].index(name)]
    client.force_login(marketer)
    client.get(url)  # warm the session and the translation catalogue
    with django_assert_max_num_queries(budget):
        assert client.get(url).status_code == 200
    AccountFactory.create_batch(30, state=State.LEAD, industry="retail", departments=["it"], icp_tier="A")
    with django_assert_max_num_queries(budget):
        assert client.get(url).status_code == 200


PAGE_NAMES = [("profiles:review",), ("profiles:explain",), ("profiles:learn",), ("profiles:validate",),
              ("profiles:breadth",)]


def test_hostile_account_names_and_values_are_shown_as_text(client, marketer, profile, market, snapshots):
    hostile = Account.objects.get(name=HOSTILE)
    client.force_login(marketer)
    pages = _pages(profile, hostile)
    review = client.get(pages[0]).content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Evil KK" in review
    explain = client.get(pages[1]).content.decode()
    learn = client.get(pages[2] + "?loyal=on&min_wins=2&min_sample=1").content.decode()
    breadth = client.get(pages[4]).content.decode()
    for html in (review, explain, learn, breadth):
        assert "<script>alert" not in html and "<b>bold</b>" not in html and "<i>r</i>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in explain and "&lt;b&gt;bold&lt;/b&gt;" in learn and "&lt;i&gt;r&lt;/i&gt;" in breadth


def test_review_shows_tiers_hit_rates_and_links_top_accounts_to_their_explanation(client, sales, profile, market, snapshots):
    client.force_login(sales)
    response = client.get(reverse("profiles:review", args=[profile.pk]))
    html = response.content.decode()
    review = response.context["review"]
    # v2: Loyal = 50+30+20 = 100 (A); hostile: 30 (C); leads: manufacturing 50 (B), retail 0 (C).
    assert review.tiers == {"A": 12, "B": 5, "C": 16}
    assert [(h.hits, h.total) for h in review.hits] == [(17, 33), (13, 33), (12, 33)]
    assert reverse("profiles:explain", args=[profile.pk, market[0].pk]) in html
    # An older version can be reviewed too.
    # v1: Loyal 60+40 (A); hostile 40 (C); manufacturing leads 60 (B); retail 0 (C).
    old = client.get(reverse("profiles:review", args=[profile.pk]) + "?version=1").context["review"]
    assert old.tiers == {"A": 12, "B": 5, "C": 16}
    assert [(h.criterion.weight, h.hits) for h in old.hits] == [(60, 17), (40, 13)]


def test_review_finds_an_account_by_name_to_explain(client, sales, profile, market):
    client.force_login(sales)
    response = client.get(reverse("profiles:review", args=[profile.pk]) + "?q=Lead 1")
    found = [a.name for a in response.context["found"]]
    assert "Lead 1" in found and "Lead 10" in found


def test_explanation_lists_points_got_and_missed_per_criterion(client, csm, profile, market):
    client.force_login(csm)
    lead = Account.objects.get(name="Lead 4")  # manufacturing, 40 employees, no departments
    response = client.get(reverse("profiles:explain", args=[profile.pk, lead.pk]))
    explanation = response.context["explanation"]
    assert (explanation.fit, explanation.tier) == (50, "B")
    assert [(r.got, r.missed) for r in explanation.rows] == [(50, 0), (0, 30), (0, 20)]
    html = response.content.decode()
    assert "(missing)" in html or "（未設定）" in html


def test_learning_page_shows_share_lift_and_too_few_to_tell(client, executive, profile, market, snapshots):
    client.force_login(executive)
    response = client.get(reverse("profiles:learn") + "?loyal=on&active=on&min_wins=2&min_sample=5")
    learning = response.context["learning"]
    assert (learning.best_total, learning.all_total) == (12, 33)
    rows = {(r.attribute, r.value): r for r in learning.rows}
    # manufacturing: 12/12 best vs 17/33 targets → lift 33/17 ≈ 1.94.
    assert rows[("industry", "manufacturing")].lift_display == 1.94
    assert rows[("industry", "<b>bold</b>")].lift is None  # one account: too few to tell
    assert "too-few" in response.content.decode()
    assert not response.context["can_edit"]
    assert "create-draft" not in response.content.decode()


def test_people_outside_marketing_and_management_cannot_create_a_draft(client, personas, profile, market):
    url = reverse("profiles:learn")
    data = {"loyal": "on", "min_wins": 2, "min_sample": 5, "name": "Sneaky draft"}
    client.logout()
    assert client.post(url, data)["Location"].startswith("/login/?next=")
    for role in (Role.CSM, Role.SALES, Role.INSIDE_SALES, Role.EXECUTIVE):
        client.force_login(personas[role])
        assert client.post(url, data).status_code == 403, role
    assert not IcpProfile.objects.filter(name="Sneaky draft").exists()


@pytest.mark.parametrize("role", EDITORS)
def test_marketing_and_managers_create_an_inactive_draft_from_the_suggestion(client, personas, profile, market, role,
                                                                              snapshots, django_capture_on_commit_callbacks):
    client.force_login(personas[role])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("profiles:learn"), {"loyal": "on", "min_wins": 2, "min_sample": 5,
                                                           "name": f"Draft by {role}"})
    draft = IcpProfile.objects.get(name=f"Draft by {role}")
    assert response.status_code == 302 and response["Location"] == reverse("profiles:review", args=[draft.pk])
    assert not draft.active
    criteria = draft.current_version.criteria
    assert {"attribute": "industry", "op": "in", "value": ["manufacturing"], "weight": 19} in criteria
    assert draft.current_version.created_by == personas[role]
    # The draft does not change anyone's fit; its review is computed in the background and then shown.
    assert not Account.objects.filter(icp_profile=draft).exists()
    assert AnalysisRefresh.objects.get(reason="draft").status == AnalysisRefresh.Status.SUCCEEDED
    assert client.get(response["Location"]).context["review"].total == 33


def test_a_draft_never_overwrites_an_existing_profile(client, marketer, profile, market):
    client.force_login(marketer)
    response = client.post(reverse("profiles:learn"), {"loyal": "on", "min_wins": 2, "min_sample": 5,
                                                       "name": "Manufacturers"})
    assert response.status_code == 400
    profile.refresh_from_db()
    assert profile.active and profile.current_version.number == 2


def test_no_draft_when_nothing_passes_the_minimum_sample(client, marketer, profile, market, snapshots):
    client.force_login(marketer)
    response = client.post(reverse("profiles:learn"), {"loyal": "on", "min_wins": 2, "min_sample": 500,
                                                       "name": "Empty"})
    assert response.status_code == 400
    assert not IcpProfile.objects.filter(name="Empty").exists()


def test_validation_compares_two_versions_over_a_period(client, manager, profile, market):
    manager.language = "en"  # the error asserted below is the English text
    manager.save(update_fields=["language"])
    client.force_login(manager)
    lead = Account.objects.get(name="Lead 1")  # retail, 40 employees: C in both versions
    OpportunityFactory(account=lead, status="lost", closed_on=dt.date(2026, 4, 1))
    url = reverse("profiles:validate", args=[profile.pk])
    response = client.get(url + "?start=2026-01-01&end=2026-06-30&old=1&new=2&min_sample=1")
    outcomes = {version.number: outcome for version, outcome in response.context["outcomes"]}
    assert set(outcomes) == {1, 2}
    for outcome in outcomes.values():
        assert (outcome.tier("A").win.hits, outcome.tier("A").win.total) == (12, 12)
        assert (outcome.tier("C").win.hits, outcome.tier("C").win.total) == (0, 1)
        assert outcome.win_spread == 100.0
    bad = client.get(url + "?start=2026-06-30&end=2026-01-01&old=1&new=2&min_sample=1")
    assert bad.context["outcomes"] == [] and "The period must start before it ends." in bad.content.decode()


def test_breadth_page_counts_tier_a_and_b_targets(client, inside_sales, market, snapshots):
    client.force_login(inside_sales)
    breadth = client.get(reverse("profiles:breadth")).context["breadth"]
    # 12 loyal (A) + 10 leads tier B + hostile (A) = 23; one loyal touched today.
    assert (breadth.total.accounts, breadth.total.touched_30d) == (23, 1)
