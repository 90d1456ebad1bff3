"""ICP profile pages: access by role, the editor (every operator, errors by field), versions, activation,
rescoring as a background job, JSON export and import."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Account
from core.choices import Role
from core.models import AuditEntry
from profiles.models import IcpProfile, IcpProfileVersion, ProfileAnalysis, RescoreRun
from profiles.selectors import profile_to_json
from profiles.services import analysis_compute, profile_save
from tests.factories import AccountFactory
from tests.web.access import ALL_ROLES, assert_anonymous_is_sent_to_login, assert_page_access

pytestmark = pytest.mark.django_db
EDITORS = (Role.MARKETING, Role.MANAGER, Role.ADMIN)
READERS = tuple(r for r in ALL_ROLES if r not in EDITORS)

EVERY_OPERATOR = [
    {"attribute": "industry", "op": "eq", "value": "manufacturing", "weight": 10},
    {"attribute": "prefecture", "op": "ne", "value": "沖縄県", "weight": 5},
    {"attribute": "industry", "op": "in", "value": ["manufacturing", "chemicals"], "weight": 30},
    {"attribute": "industry", "op": "not_in", "value": ["retail"], "weight": 5},
    {"attribute": "employees", "op": "gt", "value": 100, "weight": 5},
    {"attribute": "annual_revenue", "op": "gte", "value": 1000000000, "weight": 5},
    {"attribute": "employees", "op": "lt", "value": 10000, "weight": 5},
    {"attribute": "revenue_growth_pct", "op": "lte", "value": 12.5, "weight": 5},
    {"attribute": "employees", "op": "between", "value": [300, 5000], "weight": 20},
    {"attribute": "listed", "op": "is_true", "weight": 5},
    {"attribute": "is_target", "op": "is_false", "weight": 1},
    {"attribute": "departments", "op": "contains", "value": "marketing", "weight": 10},
    {"attribute": "technologies", "op": "contains_any", "value": ["Salesforce", "HubSpot"], "weight": 10},
]


@pytest.fixture
def marketer_en(marketer):
    """The marketer reading English, where a test reads message text (the default language is Japanese)."""
    marketer.language = "en"
    marketer.save(update_fields=["language"])
    return marketer


def make_profile(name="Mid-market manufacturers", criteria=None, **kwargs) -> IcpProfile:
    return profile_save(name=name, criteria=criteria or EVERY_OPERATOR[:3], rescore=False, **kwargs).profile


def row_values(criterion: dict) -> dict:
    """What a person types into one editor row for a criterion."""
    value, op = criterion.get("value"), criterion["op"]
    row = {"attribute": criterion["attribute"], "op": op, "weight": criterion["weight"], "value": "", "value_high": ""}
    if op == "between":
        row["value"], row["value_high"] = value
    elif isinstance(value, list):
        row["value"] = ", ".join(str(v) for v in value)
    elif value is not None:
        row["value"] = value
    return row


def editor_data(rows: list[dict], *, name="Mid-market manufacturers", tier_a=80, tier_b=50, comment="",
                description="", deleted=()) -> dict:
    data = {"name": name, "description": description, "tier_a": tier_a, "tier_b": tier_b, "comment": comment,
            "criteria-TOTAL_FORMS": str(len(rows) + 1), "criteria-INITIAL_FORMS": "0",
            "criteria-MIN_NUM_FORMS": "0", "criteria-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        data.update({f"criteria-{i}-{k}": str(v) for k, v in row.items()})
        if i in deleted:
            data[f"criteria-{i}-DELETE"] = "on"
    # The blank row a browser posts for a new criterion: empty selects, empty inputs.
    data.update({f"criteria-{len(rows)}-{k}": "" for k in ("attribute", "op", "value", "value_high", "weight")})
    return data


# --- access ------------------------------------------------------------------------------------------------

def test_profile_pages_are_read_by_every_role(client, personas):
    profile = make_profile()
    run = RescoreRun.objects.create(profile=profile, reason="save")
    for url in ["/profiles/", f"/profiles/{profile.pk}/", f"/profiles/{profile.pk}/versions/",
                f"/profiles/{profile.pk}/export.json", f"/profiles/rescoring/{run.pk}/"]:
        assert_page_access(client, personas, url, ALL_ROLES)


def test_editor_pages_are_for_marketing_managers_and_admins(client, personas):
    profile = make_profile()
    for url in ["/profiles/new/", f"/profiles/{profile.pk}/edit/", "/profiles/import/"]:
        assert_page_access(client, personas, url, EDITORS)


@pytest.mark.parametrize("role", READERS)
def test_readers_cannot_write_anything(client, personas, role):
    profile = make_profile()
    client.force_login(personas[role])
    posts = {
        "/profiles/new/": editor_data([row_values(EVERY_OPERATOR[0])], name="Sneaky"),
        f"/profiles/{profile.pk}/edit/": editor_data([row_values(EVERY_OPERATOR[0])]),
        f"/profiles/{profile.pk}/active/": {"active": "0"},
        "/profiles/import/": {"text": json.dumps({"name": "Sneaky", "criteria": EVERY_OPERATOR[:1]})},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    profile.refresh_from_db()
    assert (profile.active, IcpProfile.objects.count(), IcpProfileVersion.objects.count()) == (True, 1, 1)
    assert not RescoreRun.objects.exists()


def test_anonymous_posts_go_to_the_login_page(client):
    profile = make_profile()
    assert_anonymous_is_sent_to_login(client, f"/profiles/{profile.pk}/edit/")
    response = client.post(f"/profiles/{profile.pk}/active/", {"active": "0"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert IcpProfile.objects.get().active


@pytest.mark.parametrize("role", READERS)
def test_readers_see_no_edit_buttons(client, personas, role):
    profile = make_profile()
    client.force_login(personas[role])
    for url in ["/profiles/", f"/profiles/{profile.pk}/"]:
        html = client.get(url).content.decode()
        assert "/profiles/new/" not in html and "/edit/" not in html and "/active/" not in html
        assert "/profiles/import/" not in html


@pytest.mark.parametrize("role", EDITORS)
def test_editors_see_the_edit_buttons(client, personas, role):
    profile = make_profile()
    client.force_login(personas[role])
    assert "/profiles/new/" in client.get("/profiles/").content.decode()
    html = client.get(f"/profiles/{profile.pk}/").content.decode()
    assert f"/profiles/{profile.pk}/edit/" in html and f"/profiles/{profile.pk}/active/" in html


# --- the list ----------------------------------------------------------------------------------------------

def test_list_shows_active_flag_version_cutoffs_criteria_and_accounts_per_tier(client, sales):
    profile = make_profile(tiers={"A": 70, "B": 40})
    make_profile(name="Retail chains", criteria=[EVERY_OPERATOR[0]], active=False)
    AccountFactory.create_batch(2, icp_profile=profile, icp_tier="A", icp_fit=90)
    AccountFactory(icp_profile=profile, icp_tier="C", icp_fit=10)
    client.force_login(sales)
    # Accounts per tier come from the stored snapshot: none yet, so none shown.
    response = client.get("/profiles/")
    assert {row.profile.name: row.tier_counts for row in response.context["rows"]} == {
        "Mid-market manufacturers": None, "Retail chains": None}
    assert "not computed yet" in response.content.decode() or "未計算" in response.content.decode()
    analysis_compute(kind=ProfileAnalysis.Kind.TIERS)
    response = client.get("/profiles/")
    rows = {row.profile.name: row for row in response.context["rows"]}
    first = rows["Mid-market manufacturers"]
    assert (first.profile.active, first.version.number, first.criteria_count) == (True, 1, 3)
    assert first.tier_counts == {"A": 2, "B": 0, "C": 1}
    assert rows["Retail chains"].tier_counts == {"A": 0, "B": 0, "C": 0}
    assert reverse("profiles:review", args=[profile.pk]) in response.content.decode()
    assert rows["Retail chains"].profile.active is False
    html = response.content.decode()
    assert "A ≥ 70 · B ≥ 40" in html


def test_list_reads_a_fixed_number_of_queries(client, marketer, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/profiles/").status_code == 200
        return len(ctx.captured_queries)

    client.force_login(marketer)
    make_profile(name="P0")
    few = queries()
    for i in range(1, 12):
        profile = make_profile(name=f"P{i}")
        AccountFactory(icp_profile=profile, icp_tier="B")
    analysis_compute(kind=ProfileAnalysis.Kind.TIERS)
    with django_assert_max_num_queries(8):
        many = queries()
    assert many == few


def test_hostile_text_is_shown_as_text(client, marketer):
    profile = make_profile(name="<script>alert(1)</script>", description="<img src=x onerror=alert(2)>",
                           criteria=[{"attribute": "industry", "op": "eq", "value": "<b>x</b>", "weight": 1}],
                           comment="<i>c</i>")
    profile_save(name=profile.name, criteria=[EVERY_OPERATOR[0]], rescore=False)
    client.force_login(marketer)
    for url in ["/profiles/", f"/profiles/{profile.pk}/", f"/profiles/{profile.pk}/versions/?a=1&b=2",
                f"/profiles/{profile.pk}/edit/"]:
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
        assert "<img src=x" not in html and "<b>x</b>" not in html and "<i>c</i>" not in html, url


# --- the editor --------------------------------------------------------------------------------------------

def test_marketer_creates_a_profile_with_every_operator(client, marketer, django_capture_on_commit_callbacks):
    client.force_login(marketer)
    data = editor_data([row_values(c) for c in EVERY_OPERATOR], name="Every operator", tier_a=75, tier_b=40,
                       description="all thirteen", comment="first cut")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/profiles/new/", data)
    profile = IcpProfile.objects.get(name="Every operator")
    assert response.status_code == 302 and response["Location"] == f"/profiles/{profile.pk}/"
    version = profile.current_version
    assert (version.number, version.created_by, version.comment) == (1, marketer, "first cut")
    assert version.tiers == {"A": 75, "B": 40}
    assert version.criteria == EVERY_OPERATOR
    assert profile.active and profile.description == "all thirteen"


def test_every_save_is_a_new_version_and_the_editor_shows_the_current_one(client, manager):
    profile = make_profile()
    client.force_login(manager)
    edit = client.get(f"/profiles/{profile.pk}/edit/")
    initial = [f.initial for f in edit.context["formset"].forms if f.initial]
    assert initial[2] == {"attribute": "industry", "op": "in", "value": "manufacturing, chemicals", "weight": 30,
                          "value_high": ""}
    rows = [row_values(c) for c in EVERY_OPERATOR[:3]]
    rows[1]["weight"] = 7
    assert client.post(f"/profiles/{profile.pk}/edit/", editor_data(rows, comment="lighter prefecture")).status_code == 302
    assert client.post(f"/profiles/{profile.pk}/edit/", editor_data(rows, tier_a=90, deleted=(0,))).status_code == 302
    versions = list(profile.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2, 3]
    assert versions[1].criteria[1]["weight"] == 7 and versions[1].comment == "lighter prefecture"
    assert versions[1].created_by == manager
    assert versions[2].criteria == versions[1].criteria[1:] and versions[2].tiers == {"A": 90, "B": 50}
    profile.refresh_from_db()
    assert profile.current_version == versions[2]
    assert versions[0].criteria == EVERY_OPERATOR[:3]  # earlier versions are never rewritten


def test_editing_without_changes_saves_the_same_criteria_again(client, marketer):
    profile = make_profile(criteria=EVERY_OPERATOR)
    client.force_login(marketer)
    edit = client.get(f"/profiles/{profile.pk}/edit/")
    rows = [dict(f.initial) for f in edit.context["formset"].forms if f.initial]
    assert client.post(f"/profiles/{profile.pk}/edit/", editor_data(rows)).status_code == 302
    versions = list(profile.versions.order_by("number"))
    assert len(versions) == 2 and versions[1].criteria == versions[0].criteria == EVERY_OPERATOR


def test_the_name_cannot_be_changed_or_reused(client, marketer):
    profile = make_profile()
    client.force_login(marketer)
    rows = [row_values(EVERY_OPERATOR[0])]
    client.post(f"/profiles/{profile.pk}/edit/", editor_data(rows, name="Renamed"))
    assert list(IcpProfile.objects.values_list("name", flat=True)) == ["Mid-market manufacturers"]
    response = client.post("/profiles/new/", editor_data(rows, name="Mid-market manufacturers"))
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert IcpProfileVersion.objects.filter(profile=profile).count() == 2


@pytest.mark.parametrize(
    ("row", "field", "fragment"),
    [
        ({"attribute": "employees", "op": "between", "value": "5000", "value_high": "300"}, "value_high", "high end"),
        ({"attribute": "employees", "op": "between", "value": "many", "value_high": ""}, "value", "low end"),
        ({"attribute": "employees", "op": "gte", "value": "lots"}, "value", "number"),
        ({"attribute": "industry", "op": "in", "value": " , "}, "value", "comma"),
        ({"attribute": "industry", "op": "eq", "value": ""}, "value", "value"),
        ({"attribute": "industry", "op": "contains", "value": "x"}, "op", "list attributes"),  # from the service
        ({"attribute": "industry", "op": "is_true"}, "op", "yes/no"),  # from the service
        ({"attribute": "employees", "op": "eq", "value": "1", "weight": "0"}, "weight", "1"),
        ({"attribute": "nope", "op": "eq", "value": "1"}, "attribute", "nope"),
    ],
)
def test_invalid_rows_are_refused_with_the_message_next_to_the_field(client, marketer_en, row, field, fragment):
    client.force_login(marketer_en)
    good = row_values(EVERY_OPERATOR[0])
    bad = {"value": "", "value_high": "", "weight": "5", **row}
    response = client.post("/profiles/new/", editor_data([good, bad], name="Broken"))
    assert response.status_code == 400
    errors = response.context["formset"].forms[1].errors
    assert field in errors and fragment in " ".join(errors[field]), errors
    assert response.context["formset"].forms[0].errors == {}
    assert 'role="alert"' in response.content.decode()
    assert not IcpProfile.objects.filter(name="Broken").exists()


def test_a_profile_without_criteria_or_with_crossed_tiers_is_refused(client, marketer_en):
    client.force_login(marketer_en)
    response = client.post("/profiles/new/", editor_data([], name="Empty"))
    assert response.status_code == 400
    assert "Add at least one criterion" in " ".join(response.context["formset"].non_form_errors())
    response = client.post("/profiles/new/", editor_data([row_values(EVERY_OPERATOR[0])], name="Crossed",
                                                         tier_a=40, tier_b=60))
    assert response.status_code == 400 and response.context["form"].errors["tier_b"]
    response = client.post("/profiles/new/", editor_data([row_values(EVERY_OPERATOR[0])], name="Over", tier_a=120))
    assert response.status_code == 400 and response.context["form"].errors["tier_a"]
    assert not IcpProfile.objects.exists()


def test_garbage_in_the_management_form_is_a_400_not_a_500(client, marketer):
    client.force_login(marketer)
    response = client.post("/profiles/new/", {"name": "X", "tier_a": "80", "tier_b": "50"})
    assert response.status_code == 400
    data = editor_data([row_values(EVERY_OPERATOR[0])], name="Y")
    data["criteria-TOTAL_FORMS"] = "abc"
    assert client.post("/profiles/new/", data).status_code == 400


# --- rescoring as a background job -------------------------------------------------------------------------

def test_saving_queues_a_rescoring_job_that_scores_the_accounts(client, marketer, django_capture_on_commit_callbacks):
    fits = AccountFactory(industry="manufacturing", employees=1000)
    misses = AccountFactory(industry="retail", employees=10)
    client.force_login(marketer)
    rows = [row_values(EVERY_OPERATOR[2]), row_values(EVERY_OPERATOR[8])]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post("/profiles/new/", editor_data(rows, name="Makers"))
    # The rescoring job, then (queued by it on success) the refresh of the analysis snapshots.
    assert response.status_code == 302 and len(callbacks) == 2
    run = RescoreRun.objects.get()
    assert (run.status, run.reason, run.created_by, run.rows_done, run.rows_total) == ("succeeded", "save", marketer, 2, 2)
    assert Account.objects.get(pk=fits.pk).icp_tier == "A" and Account.objects.get(pk=misses.pk).icp_tier == "C"
    page = client.get(response["Location"]).content.decode()
    assert f"/profiles/rescoring/{run.pk}/" in page
    progress = client.get(f"/profiles/rescoring/{run.pk}/", HTTP_HX_REQUEST="true")
    assert "2 / 2" in progress.content.decode() and "<html" not in progress.content.decode()


def test_a_pending_job_polls_for_its_progress(client, sales):
    run = RescoreRun.objects.create(reason="save", rows_total=1_000_000, rows_done=250_000, status="running")
    client.force_login(sales)
    html = client.get(f"/profiles/rescoring/{run.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in html and 'aria-valuenow="250000"' in html and "width:25%" in html


def test_a_job_runs_once_and_an_older_pending_job_is_superseded():
    from profiles.services import rescore_run_execute

    AccountFactory()
    older = RescoreRun.objects.create(reason="save")
    newer = RescoreRun.objects.create(reason="save")
    assert rescore_run_execute(run_id=older.pk) == "superseded"
    assert rescore_run_execute(run_id=newer.pk) == "succeeded"
    assert rescore_run_execute(run_id=newer.pk) == "succeeded"  # redelivered: nothing run twice
    newer.refresh_from_db()
    assert (newer.rows_done, newer.rows_total) == (1, 1) and newer.finished_at is not None


def test_a_failing_job_is_recorded_as_failed(monkeypatch):
    from profiles import services

    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "rescore_accounts", boom)
    run = RescoreRun.objects.create(reason="save")
    assert services.rescore_run_execute(run_id=run.pk) == "failed"
    run.refresh_from_db()
    assert run.status == "failed" and "database went away" in run.message


def test_activating_and_deactivating_is_audited_and_rescores(client, manager, django_capture_on_commit_callbacks):
    profile = make_profile()
    account = AccountFactory(industry="manufacturing")
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/profiles/{profile.pk}/active/", {"active": "0"})
    assert response.status_code == 302
    profile.refresh_from_db()
    account.refresh_from_db()
    assert profile.active is False and account.icp_profile_id is None and account.icp_fit == 0
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/profiles/{profile.pk}/active/", {"active": "1"})
    account.refresh_from_db()
    assert IcpProfile.objects.get().active and account.icp_profile_id == profile.pk and account.icp_fit > 0
    audit = list(AuditEntry.objects.filter(object_type="icp_profile", action__in=["profile.activate", "profile.deactivate"])
                 .order_by("id").values_list("action", "actor_id"))
    assert audit == [("profile.deactivate", manager.pk), ("profile.activate", manager.pk)]
    assert list(RescoreRun.objects.order_by("id").values_list("reason", "status")) == [
        ("deactivate", "succeeded"), ("activate", "succeeded")]
    assert client.get(f"/profiles/{profile.pk}/active/").status_code == 405


# --- versions and comparison -------------------------------------------------------------------------------

def test_versions_page_lists_who_when_and_compares_two_versions(client, csm, marketer):
    base = [EVERY_OPERATOR[0], EVERY_OPERATOR[8], EVERY_OPERATOR[11]]
    profile = profile_save(name="Makers", criteria=base, actor=marketer, comment="v1", rescore=False).profile
    changed = [dict(EVERY_OPERATOR[0], weight=99), {"attribute": "employees", "op": "gte", "value": 300, "weight": 20},
               EVERY_OPERATOR[12]]
    profile_save(name="Makers", criteria=changed, tiers={"A": 85, "B": 50}, actor=marketer, comment="v2", rescore=False)
    client.force_login(csm)
    response = client.get(f"/profiles/{profile.pk}/versions/")
    assert (response.context["a"], response.context["b"]) == (1, 2)
    statuses = [(r["status"], r["fields"]) for r in response.context["rows"]]
    assert statuses == [("changed", ("weight",)), ("changed", ("op", "value")), ("added", ()), ("removed", ())]
    assert response.context["diff"].tiers_changed == ("A",)
    html = response.content.decode()
    assert html.count('class="diff-changed"') == 3 and 'data-changed="tier-A"' in html
    assert 'class="diff-added"' in html and 'class="diff-removed"' in html
    assert "v1" in html and "v2" in html and str(marketer) in html
    same = client.get(f"/profiles/{profile.pk}/versions/?a=2&b=2")
    assert not same.context["diff"].has_changes
    assert client.get(f"/profiles/{profile.pk}/versions/?a=1&b=9").context["missing"]


# --- JSON out and in ---------------------------------------------------------------------------------------

def test_export_then_import_gives_the_same_profile(client, marketer):
    profile = make_profile(criteria=EVERY_OPERATOR, description="説明", tiers={"A": 85, "B": 55})
    client.force_login(marketer)
    response = client.get(f"/profiles/{profile.pk}/export.json")
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    exported = json.loads(response.content)
    assert exported == {"name": "Mid-market manufacturers", "description": "説明", "active": True,
                        "tiers": {"A": 85, "B": 55}, "criteria": EVERY_OPERATOR}
    # The API returns the same shape (plus id and version).
    api = client.get(f"/api/v1/icp-profiles/{profile.pk}/").json()
    assert {k: v for k, v in api.items() if k not in ("id", "version")} == exported

    # Into an empty database: the same profile comes back.
    IcpProfile.objects.all().delete()
    upload = SimpleUploadedFile("icp.json", response.content, content_type="application/json")
    response = client.post("/profiles/import/", {"file": upload})
    assert response.status_code == 302
    imported = IcpProfile.objects.get()
    assert profile_to_json(imported) == exported
    assert imported.current_version.created_by == marketer

    # Over the same name: a new version, same content.
    response = client.post("/profiles/import/", {"text": json.dumps(exported)})
    assert response.status_code == 302 and IcpProfile.objects.get().current_version.number == 2
    assert profile_to_json(IcpProfile.objects.get()) == exported


def test_an_old_version_can_be_exported(client, sales):
    profile = make_profile()
    profile_save(name=profile.name, criteria=[EVERY_OPERATOR[0]], rescore=False)
    client.force_login(sales)
    assert json.loads(client.get(f"/profiles/{profile.pk}/export.json?version=1").content)["criteria"] == EVERY_OPERATOR[:3]
    assert client.get(f"/profiles/{profile.pk}/export.json?version=7").status_code == 404


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"name": "X", "criteria": [EVERY_OPERATOR[0], {"attribute": "employees", "op": "between", "value": [9, 1],
                                                        "weight": 1}]}, "criteria[1].value"),
        ({"name": "X", "criteria": [{"attribute": "colour", "op": "eq", "value": "red", "weight": 1}]},
         "criteria[0].attribute"),
        ({"name": "X", "criteria": [{"attribute": "industry", "op": "eq", "value": "a", "weight": -2}]},
         "criteria[0].weight"),
        ({"name": "X", "criteria": []}, "criteria"),
        ({"name": "X", "criteria": [EVERY_OPERATOR[0]], "tiers": {"A": 10, "B": 90}}, "tiers"),
        ({"name": "X", "criteria": [EVERY_OPERATOR[0]], "active": "yes"}, "active"),
        ({"criteria": [EVERY_OPERATOR[0]]}, "name"),
        ([1, 2], "profile"),
    ],
)
def test_import_errors_name_the_criterion_and_field(client, marketer, payload, expected):
    client.force_login(marketer)
    response = client.post("/profiles/import/", {"text": json.dumps(payload)})
    assert response.status_code == 400
    assert any(p.startswith(expected) for p in response.context["problems"]), response.context["problems"]
    assert expected in response.content.decode()
    assert not IcpProfile.objects.exists()


def test_import_refuses_broken_json_and_an_empty_form(client, marketer_en):
    client.force_login(marketer_en)
    response = client.post("/profiles/import/", {"text": '{"name": "X",\n "criteria": [}'})
    assert response.status_code == 400 and "line 2" in response.content.decode()
    assert client.post("/profiles/import/", {}).status_code == 400
    upload = SimpleUploadedFile("icp.json", "{}".encode("utf-16"), content_type="application/json")
    assert client.post("/profiles/import/", {"file": upload}).status_code == 400
