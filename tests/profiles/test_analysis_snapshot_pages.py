"""The analysis pages read the stored snapshots: figures as of a date, an empty state before the first refresh,
the "Refresh figures" button for marketing and managers, progress while a refresh runs, and small query budgets
whatever the number of accounts (issue #5 at a million accounts)."""

import datetime as dt

import pytest
from django.urls import reverse

from core.choices import Role, State
from core.permissions import EVERYONE
from profiles.models import AnalysisRefresh, ProfileAnalysis
from profiles.services import analysis_refresh_all, profile_save
from tests.factories import AccountFactory, OpportunityFactory
from tests.web.access import assert_page_access

pytestmark = pytest.mark.django_db

EDITORS = (Role.MARKETING, Role.MANAGER, Role.ADMIN)
READERS = (Role.CSM, Role.SALES, Role.INSIDE_SALES, Role.EXECUTIVE)
REFRESH = reverse("profiles:analysis-refresh")


@pytest.fixture
def profile():
    profile_save(name="Makers", rescore=False, criteria=[
        {"attribute": "industry", "op": "eq", "value": "manufacturing", "weight": 100}])
    version = profile_save(name="Makers", rescore=False, criteria=[
        {"attribute": "industry", "op": "eq", "value": "manufacturing", "weight": 60},
        {"attribute": "employees", "op": "gte", "value": 1000, "weight": 40}])
    return version.profile


@pytest.fixture
def market(profile):
    for i in range(6):
        account = AccountFactory(name=f"Loyal {i}", state=State.LOYAL, industry="manufacturing", employees=1500,
                                 icp_profile=profile, icp_tier="A")
        OpportunityFactory(account=account, status="won", closed_on=dt.date(2026, 3, 1))
    for i in range(4):
        AccountFactory(name=f"Lead {i}", state=State.LEAD, industry="retail", employees=40, icp_profile=profile,
                       icp_tier="C")


def _urls(profile) -> dict[str, str]:
    return {
        "review": reverse("profiles:review", args=[profile.pk]),
        "learn": reverse("profiles:learn"),
        "breadth": reverse("profiles:breadth"),
        "list": reverse("profiles:list"),
        "detail": reverse("profiles:detail", args=[profile.pk]),
    }


ANALYSIS_PAGES = ("review", "learn", "breadth")


def _refresh_form(html: str) -> str:
    start = html.index('id="refresh-figures"')
    return html[start:html.index("</form>", start)]


# --- access ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("computed", [False, True])
def test_every_page_sends_anonymous_to_login_and_serves_every_role(client, personas, profile, market, computed):
    if computed:
        analysis_refresh_all()
    for url in _urls(profile).values():
        assert_page_access(client, personas, url, EVERYONE)


def test_the_refresh_progress_is_read_by_every_role(client, personas):
    refresh = AnalysisRefresh.objects.create(reason="button", status=AnalysisRefresh.Status.RUNNING)
    assert_page_access(client, personas, reverse("profiles:analysis-refresh-status", args=[refresh.pk]), EVERYONE)


@pytest.mark.parametrize("role", EDITORS)
def test_marketing_and_managers_see_the_refresh_button(client, personas, profile, role):
    client.force_login(personas[role])
    for name in ANALYSIS_PAGES:
        html = client.get(_urls(profile)[name]).content.decode()
        assert 'id="refresh-figures"' in html and "csrfmiddlewaretoken" in html, name


@pytest.mark.parametrize("role", READERS)
def test_readers_see_no_refresh_button_and_cannot_post_one(client, personas, profile, role):
    client.force_login(personas[role])
    for name in ANALYSIS_PAGES:
        html = client.get(_urls(profile)[name]).content.decode()
        assert 'id="refresh-figures"' not in html, name
        assert 'id="not-computed"' in html, name
    assert client.post(REFRESH, {"next": _urls(profile)["learn"]}).status_code == 403
    assert not AnalysisRefresh.objects.exists()


def test_anonymous_refresh_goes_to_the_login_page(client):
    response = client.post(REFRESH)
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    assert not AnalysisRefresh.objects.exists()


def test_the_refresh_endpoint_only_takes_posts(client, marketer):
    client.force_login(marketer)
    assert client.get(REFRESH).status_code == 405


# --- the button -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", EDITORS)
def test_the_button_queues_one_refresh_and_reuses_a_running_one(client, personas, profile, role,
                                                              django_capture_on_commit_callbacks):
    client.force_login(personas[role])
    back = _urls(profile)["breadth"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(REFRESH, {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    refresh = AnalysisRefresh.objects.get()
    assert (refresh.reason, refresh.status, refresh.created_by, refresh.version) == (
        "button", AnalysisRefresh.Status.PENDING, personas[role], None)
    assert len(callbacks) == 1  # the job starts when the request commits, not in it
    AnalysisRefresh.objects.filter(id=refresh.id).update(status=AnalysisRefresh.Status.RUNNING)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(REFRESH, {"next": back})
        client.post(REFRESH, {"next": back})
    assert AnalysisRefresh.objects.count() == 1 and not callbacks


def test_the_button_runs_the_refresh_and_the_page_then_shows_the_figures(client, marketer, profile, market,
                                                                        django_capture_on_commit_callbacks):
    client.force_login(marketer)
    url = _urls(profile)["review"]
    assert client.get(url).context["review"] is None
    with django_capture_on_commit_callbacks(execute=True):  # Celery runs eagerly in tests
        client.post(REFRESH, {"next": url})
    assert AnalysisRefresh.objects.get().status == AnalysisRefresh.Status.SUCCEEDED
    response = client.get(url)
    assert response.context["review"].tiers == {"A": 6, "B": 0, "C": 4}
    assert 'id="figures-as-of"' in response.content.decode()


def test_an_older_version_without_a_snapshot_offers_a_refresh_for_that_version(client, manager, profile, market,
                                                                              django_capture_on_commit_callbacks):
    analysis_refresh_all()  # the current version (2) only
    v1 = profile.versions.get(number=1)
    client.force_login(manager)
    url = _urls(profile)["review"] + "?version=1"
    response = client.get(url)
    html = response.content.decode()
    assert response.context["review"] is None and 'id="not-computed"' in html
    assert f'name="version" value="{v1.id}"' in _refresh_form(html)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REFRESH, {"version": v1.id, "next": url})
    assert response["Location"] == url
    assert AnalysisRefresh.objects.get().version == v1
    old = client.get(url).context["review"]
    assert [(h.criterion.weight, h.hits) for h in old.hits] == [(100, 6)]
    # The current version's page asks for a plain refresh (it is in every refresh).
    assert 'name="version"' not in _refresh_form(client.get(_urls(profile)["review"]).content.decode())


def test_the_current_version_or_an_unknown_one_in_the_button(client, marketer, profile,
                                                            django_capture_on_commit_callbacks):
    client.force_login(marketer)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(REFRESH, {"version": profile.current_version_id})
        assert AnalysisRefresh.objects.get().version is None
        assert client.post(REFRESH, {"version": 999999}).status_code == 404
        assert client.post(REFRESH, {"version": "x"}).status_code == 404
    assert AnalysisRefresh.objects.count() == 1


def test_the_button_never_redirects_off_site(client, marketer, django_capture_on_commit_callbacks):
    client.force_login(marketer)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(REFRESH, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("profiles:list")


# --- stored figures, empty state, progress --------------------------------------------------------------------

def test_before_the_first_refresh_the_pages_say_not_computed_yet_and_scan_nothing(client, sales, profile, market):
    sales.language = "en"  # the text asserted below is the English catalogue's
    sales.save(update_fields=["language"])
    client.force_login(sales)
    urls = _urls(profile)
    for name in ANALYSIS_PAGES:
        response = client.get(urls[name])
        html = response.content.decode()
        assert 'id="not-computed"' in html and "Marketing or a manager can compute them now." in html, name
    assert client.get(urls["review"]).context["review"] is None
    assert client.get(urls["learn"]).context["learning"] is None
    assert client.get(urls["breadth"]).context["breadth"] is None
    assert client.get(urls["detail"]).context["tier_counts"] is None
    assert 'id="tier-counts" class="muted"' in client.get(urls["detail"]).content.decode()


def test_the_pages_show_the_stored_figures_until_the_next_refresh(client, marketer, profile, market):
    analysis_refresh_all()
    client.force_login(marketer)
    urls = _urls(profile)
    before = {
        "review": client.get(urls["review"]).context["review"].tiers,
        "learn": client.get(urls["learn"] + "?loyal=on&min_wins=2&min_sample=1").context["learning"].all_total,
        "breadth": client.get(urls["breadth"]).context["breadth"].total.accounts,
        "detail": client.get(urls["detail"]).context["tier_counts"],
    }
    assert before == {"review": {"A": 6, "B": 0, "C": 4}, "learn": 10, "breadth": 6,
                      "detail": {"A": 6, "B": 0, "C": 4}}
    AccountFactory.create_batch(5, state=State.LEAD, industry="manufacturing", employees=5000, icp_profile=profile,
                                icp_tier="A")
    after = {
        "review": client.get(urls["review"]).context["review"].tiers,
        "learn": client.get(urls["learn"] + "?loyal=on&min_wins=2&min_sample=1").context["learning"].all_total,
        "breadth": client.get(urls["breadth"]).context["breadth"].total.accounts,
        "detail": client.get(urls["detail"]).context["tier_counts"],
    }
    assert after == before
    analysis_refresh_all()
    assert client.get(urls["review"]).context["review"].tiers == {"A": 11, "B": 0, "C": 4}
    assert client.get(urls["breadth"]).context["breadth"].total.accounts == 11
    assert client.get(urls["detail"]).context["tier_counts"] == {"A": 11, "B": 0, "C": 4}
    list_row = client.get(urls["list"]).context["rows"][0]
    assert list_row.tier_counts == {"A": 11, "B": 0, "C": 4}


def test_the_pages_say_when_the_figures_are_from_in_the_business_time_zone(client, csm, profile, market):
    csm.language = "en"
    csm.save(update_fields=["language"])
    analysis_refresh_all()
    # 15:30 UTC is 00:30 the next day in Tokyo (the business time zone).
    ProfileAnalysis.objects.update(as_of=dt.date(2026, 5, 1),
                                   computed_at=dt.datetime(2026, 5, 1, 15, 30, tzinfo=dt.timezone.utc))
    client.force_login(csm)
    for name, url in _urls(profile).items():
        html = client.get(url).content.decode()
        assert "Figures as of 2026-05-01, computed 2026-05-02 00:30" in html, name


def test_a_running_refresh_shows_its_progress_and_polls_for_it(client, sales, marketer, profile, market):
    analysis_refresh_all()
    refresh = AnalysisRefresh.objects.create(reason="nightly", status=AnalysisRefresh.Status.RUNNING,
                                             steps_done=2, steps_total=5)
    status_url = reverse("profiles:analysis-refresh-status", args=[refresh.pk])
    for user in (sales, marketer):
        client.force_login(user)
        for name in ANALYSIS_PAGES:
            html = client.get(_urls(profile)[name]).content.decode()
            assert f'hx-get="{status_url}"' in html and 'hx-trigger="every 1s"' in html, name
            assert "2 / 5" in html and 'aria-valuenow="2"' in html, name
            assert 'id="refresh-figures"' not in html, name  # nothing to click while it runs
            assert 'id="figures-as-of"' in html, name  # the previous figures stay on the page
    partial = client.get(status_url, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert "HX-Refresh" not in partial
    assert "<html" in client.get(status_url).content.decode()  # opened directly: a page of its own
    AnalysisRefresh.objects.filter(id=refresh.id).update(status=AnalysisRefresh.Status.SUCCEEDED, steps_done=5)
    done = client.get(status_url, HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"  # htmx reloads the page, which then shows the new figures
    assert "hx-get" not in done.content.decode()


def test_an_older_versions_page_ignores_a_refresh_that_will_not_compute_it(client, marketer, profile, market):
    AnalysisRefresh.objects.create(reason="nightly", status=AnalysisRefresh.Status.RUNNING)
    client.force_login(marketer)
    html = client.get(_urls(profile)["review"] + "?version=1").content.decode()
    assert "hx-get" not in html and 'id="refresh-figures"' in html
    assert "hx-get" in client.get(_urls(profile)["review"]).content.decode()


def test_a_failed_refresh_is_reported_and_can_be_retried(client, marketer, profile):
    AnalysisRefresh.objects.create(reason="nightly", status=AnalysisRefresh.Status.FAILED,
                                   message="statement timeout")
    client.force_login(marketer)
    html = client.get(_urls(profile)["breadth"]).content.decode()
    assert "statement timeout" in html and 'id="refresh-figures"' in html and "hx-get" not in html


def test_no_draft_profile_before_the_counts_are_computed(client, marketer, profile, market):
    marketer.language = "en"
    marketer.save(update_fields=["language"])
    client.force_login(marketer)
    response = client.post(_urls(profile)["learn"], {"loyal": "on", "min_wins": 2, "min_sample": 1, "name": "Early"})
    assert response.status_code == 400
    assert "have not been computed yet" in response.content.decode()
    assert not profile.__class__.objects.filter(name="Early").exists()


def test_won_deals_beyond_the_stored_groups_are_refused_by_the_form(client, marketer, profile, market):
    analysis_refresh_all()
    client.force_login(marketer)
    response = client.get(_urls(profile)["learn"] + "?active=on&min_wins=11&min_sample=1")
    assert response.status_code == 200 and response.context["learning"] is None
    assert response.context["form"].errors["min_wins"]


# --- navigation -------------------------------------------------------------------------------------------------

def test_the_profile_list_and_page_link_to_the_analyses_and_the_review_back_to_the_profile(client, sales, profile):
    client.force_login(sales)
    urls = _urls(profile)
    for name in ("list", "detail"):
        html = client.get(urls[name]).content.decode()
        for target in ("review", "learn", "breadth"):
            assert f'href="{urls[target]}"' in html, (name, target)
    assert f'href="{urls["detail"]}" id="back-to-profile"' in client.get(urls["review"]).content.decode()


# --- query budgets ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "budget"), [
    ("review", 12), ("learn", 7), ("breadth", 7), ("list", 7), ("detail", 7),
])
def test_each_page_reads_a_few_rows_whatever_the_number_of_accounts(client, marketer, profile, market, name, budget,
                                                                    django_assert_max_num_queries):
    url = _urls(profile)[name]
    client.force_login(marketer)
    client.get(url)  # warm the session and the translation catalogue
    with django_assert_max_num_queries(budget):  # not computed yet
        assert client.get(url).status_code == 200
    analysis_refresh_all()
    with django_assert_max_num_queries(budget):
        assert client.get(url).status_code == 200
    AccountFactory.create_batch(30, state=State.LEAD, industry="manufacturing", icp_profile=profile, icp_tier="A")
    analysis_refresh_all()
    AnalysisRefresh.objects.create(reason="nightly", status=AnalysisRefresh.Status.RUNNING, steps_total=5,
                                   created_by=marketer)
    with django_assert_max_num_queries(budget):
        assert client.get(url).status_code == 200


def test_the_progress_partial_is_one_row(client, marketer, django_assert_max_num_queries):
    refresh = AnalysisRefresh.objects.create(reason="button", status=AnalysisRefresh.Status.RUNNING, created_by=marketer)
    url = reverse("profiles:analysis-refresh-status", args=[refresh.pk])
    client.force_login(marketer)
    client.get(url, HTTP_HX_REQUEST="true")
    with django_assert_max_num_queries(4):
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200


def test_a_japanese_reader_reads_the_empty_state_in_japanese(client, sales, profile, market):
    assert sales.language == "ja"
    client.force_login(sales)
    html = client.get(_urls(profile)["review"]).content.decode()
    assert '<p id="not-computed"><strong>未計算</strong></p>' in html and "Not computed yet" not in html
