"""The standards table (/standards/): a row per state in lifecycle order with its purpose, content plan and
requirements in words; a requirement edited, added and removed in place; a stale cell refused with its input
kept; the same validation as the API; access by role."""

import pytest

from core.choices import Role, State
from core.models import AuditEntry
from standards.models import Requirement, Standard, StandardChange
from tests.web.access import assert_page_access

pytestmark = pytest.mark.django_db
MANAGERS = (Role.MANAGER, Role.ADMIN)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def english(manager, admin_user):
    for user in (manager, admin_user):
        user.language = "en"
        user.save(update_fields=["language"])


def cell_post(prefix, *, version, comment="", **changes):
    values = {"code": "human", "kind": "human", "min_count": 1, "window_days": 7, "responsible_role": "sales",
              "performer_roles": [], "content_stage": "", "channel": "", **changes}
    data = {f"{prefix}-{k}": v for k, v in values.items()}
    data.update(version=str(version), comment=comment)
    return data


def version(state):
    return Standard.objects.get(state=state).version


@pytest.mark.parametrize("url", [
    "/standards/", "/standards/NEGOTIATION/requirements/human/edit/", "/standards/NEGOTIATION/requirements/add/",
    "/standards/NEGOTIATION/requirements/human/remove/", "/standards/NEGOTIATION/plan/", "/standards/NEGOTIATION/row/",
])
def test_the_table_and_its_cell_forms_are_for_managers_and_admins(client, personas, url):
    assert_page_access(client, personas, url, MANAGERS)


def test_a_rep_cannot_save_a_cell(client, sales):
    client.force_login(sales)
    response = client.post("/standards/NEGOTIATION/requirements/human/edit/",
                           cell_post("NEGOTIATION-human", version=1, min_count=5))
    assert response.status_code == 403
    assert Requirement.objects.get(standard__state="NEGOTIATION").min_count == 1


def test_the_table_shows_every_state_in_lifecycle_order_with_its_requirements_in_words(
        client, manager, django_assert_max_num_queries):
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        response = client.get("/standards/")
    html = response.content.decode()
    positions = [html.index(f'id="row-{state}"') for state in State.values if state != State.OUT_OF_SCOPE]
    assert positions == sorted(positions)  # lifecycle order
    for standard in Standard.objects.prefetch_related("requirements"):
        assert standard.get_state_display() in html
        for r in standard.requirements.all():
            assert f'id="req-{standard.state}-{r.code}"' in html
    assert "Human ×1 every 7 days · Field sales · counted: anyone" in html  # NEGOTIATION
    assert "Human ×1 every 365 days · Customer success · counted: Executive" in html  # LOYAL's executive touch
    assert "Negotiation · Visit" in html  # NEGOTIATION's requirement plan: stage and channel
    assert "Win the deal" in html and ">Selection<" in html  # purpose and content plan
    assert "inside_sales" not in html and "Add a requirement" in html
    assert 'name="NEGOTIATION-new-code"' not in html  # no blank rows


def test_a_cell_form_shows_its_values_role_checkboxes_and_the_anyone_hint(client, manager):
    Requirement.objects.filter(standard__state="LOYAL", code="executive").update(performer_roles=["executive", "csm"])
    client.force_login(manager)
    html = client.get("/standards/LOYAL/requirements/executive/edit/", **HTMX).content.decode()
    assert 'type="checkbox" name="LOYAL-executive-performer_roles" value="executive"' in html
    assert html.count(" checked>") == 2
    assert "None checked = anyone." in html
    assert f'name="version" value="{version("LOYAL")}"' in html
    assert 'name="comment"' in html and "Preview tomorrow" in html and "htmx-indicator" in html


def test_editing_a_cell_saves_a_new_version_with_the_comment_and_answers_the_row(client, manager):
    client.force_login(manager)
    response = client.post("/standards/NEGOTIATION/requirements/human/edit/",
                           cell_post("NEGOTIATION-human", version=1, min_count=2, channel="visit",
                                     content_stage="negotiation", comment="Twice a week in the last stretch"), **HTMX)
    assert response.status_code == 200 and response["HX-Retarget"] == "#row-NEGOTIATION"
    assert "Human ×2 every 7 days" in response.content.decode()
    req = Requirement.objects.get(standard__state="NEGOTIATION")
    assert (req.min_count, req.channel, req.content_stage) == (2, "visit", "negotiation")
    change = StandardChange.objects.get()
    assert (change.version, change.comment, change.changed_by) == (2, "Twice a week in the last stretch", manager)
    assert AuditEntry.objects.filter(action="standard.update", object_id="NEGOTIATION").exists()


def test_adding_a_requirement_puts_it_after_the_others(client, manager):
    client.force_login(manager)
    form = client.get("/standards/NEGOTIATION/requirements/add/", **HTMX).content.decode()
    assert 'name="NEGOTIATION-new-code"' in form
    response = client.post("/standards/NEGOTIATION/requirements/add/", cell_post(
        "NEGOTIATION-new", version=1, code="webinar", kind="digital", min_count=1, window_days=30,
        responsible_role="marketing", performer_roles=["marketing"]), **HTMX)
    assert response.status_code == 200
    assert list(Requirement.objects.filter(standard__state="NEGOTIATION").values_list("code", "performer_roles")) == [
        ("human", []), ("webinar", ["marketing"])]
    assert "Digital ×1 every 30 days · Marketing · counted: Marketing" in response.content.decode()


def test_adding_a_code_the_state_already_has_is_refused_naming_it(client, manager):
    client.force_login(manager)
    response = client.post("/standards/NEGOTIATION/requirements/add/", cell_post("NEGOTIATION-new", version=1))
    assert response.status_code == 400
    assert "human is already a requirement of this state." in response.content.decode()
    assert Requirement.objects.filter(standard__state="NEGOTIATION").count() == 1


def test_removing_a_requirement_asks_first_then_removes_it(client, manager):
    client.force_login(manager)
    confirm = client.get("/standards/HIGH_POTENTIAL_LEAD/requirements/digital/remove/", **HTMX).content.decode()
    assert "Remove this requirement from High-potential lead?" in confirm and "hx-confirm" in confirm
    assert Requirement.objects.filter(standard__state="HIGH_POTENTIAL_LEAD").count() == 2
    response = client.post("/standards/HIGH_POTENTIAL_LEAD/requirements/digital/remove/",
                           {"version": "1", "comment": "Marketing covers it by campaign"})
    assert response.status_code == 303
    assert list(Requirement.objects.filter(standard__state="HIGH_POTENTIAL_LEAD").values_list("code", flat=True)) == [
        "human"]
    assert StandardChange.objects.get().comment == "Marketing covers it by campaign"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("window_days", "0", "Ensure this value is greater than or equal to 1"),
    ("min_count", "1001", "Ensure this value is less than or equal to 1000"),
    ("kind", "carrier-pigeon", "Select a valid choice"),
    ("channel", "fax", "Select a valid choice"),
])
def test_a_bad_cell_is_refused_next_to_the_field_with_the_input_kept(client, manager, field, value, message):
    client.force_login(manager)
    response = client.post("/standards/NEGOTIATION/requirements/human/edit/",
                           cell_post("NEGOTIATION-human", version=1, comment="kept", **{field: value}), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and response["HX-Retarget"] == "#req-NEGOTIATION-human"  # htmx swaps 2xx
    assert message in html and 'value="kept"' in html
    assert not StandardChange.objects.exists()


def test_a_cell_opened_before_someone_else_saved_is_refused_with_who_and_the_input_kept(client, manager, admin_user):
    client.force_login(admin_user)
    client.post("/standards/NEGOTIATION/requirements/human/edit/", cell_post("NEGOTIATION-human", version=1, min_count=3))
    client.force_login(manager)
    response = client.post("/standards/NEGOTIATION/requirements/human/edit/",
                           cell_post("NEGOTIATION-human", version=1, min_count=5, comment="mine"))
    html = response.content.decode()
    assert response.status_code == 409
    assert "ada" in html and "version 2" in html and "Nothing was saved" in html
    assert 'value="5"' in html and 'value="mine"' in html
    assert Requirement.objects.get(standard__state="NEGOTIATION").min_count == 3


def test_a_requirement_removed_meanwhile_is_a_clear_message_not_an_error(client, manager):
    client.force_login(manager)
    data = cell_post("LOYAL-executive", version=1, code="executive", window_days=365, responsible_role="csm")
    Requirement.objects.filter(standard__state="LOYAL", code="executive").delete()
    response = client.post("/standards/LOYAL/requirements/executive/edit/", data)
    assert response.status_code == 404


def test_the_purpose_and_content_plan_are_edited_in_place(client, manager):
    client.force_login(manager)
    form = client.get("/standards/LEAD/plan/", **HTMX).content.decode()
    assert 'value="education" checked' in form.replace(' id="id_LEAD-plan-content_stages_0"', "")
    response = client.post("/standards/LEAD/plan/", {
        "LEAD-plan-purpose": "Convert to an opportunity", "LEAD-plan-owner_role": "marketing",
        "LEAD-plan-content_stages": ["education", "solution"], "LEAD-plan-channels": ["webinar"],
        "version": "1", "comment": "Solution content too"}, **HTMX)
    assert response.status_code == 200
    lead = Standard.objects.get(state="LEAD")
    assert (lead.purpose, lead.content_stages, lead.channels, lead.version) == (
        "Convert to an opportunity", ["education", "solution"], ["webinar"], 2)
    assert lead.requirements.count() == 1  # the requirements stay


def test_preview_shows_what_the_cell_would_change_and_saves_nothing(client, manager):
    client.force_login(manager)
    response = client.post("/standards/NEGOTIATION/requirements/human/edit/?action=preview",
                           cell_post("NEGOTIATION-human", version=1, min_count=2, comment="keep me"), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Preview of the change to In negotiation · human" in html
    assert "<form" not in html  # only the what-if box is swapped: the form and its comment stay
    assert Requirement.objects.get(standard__state="NEGOTIATION").min_count == 1
    assert not StandardChange.objects.exists()


def test_without_javascript_preview_answers_the_form_with_the_comment_kept(client, manager):
    client.force_login(manager)
    data = cell_post("NEGOTIATION-human", version=1, min_count=2, comment="keep me")
    response = client.post("/standards/NEGOTIATION/requirements/human/edit/", {**data, "action": "preview"})
    html = response.content.decode()
    assert response.status_code == 200 and 'value="keep me"' in html and "Preview of the change" in html
    assert not StandardChange.objects.exists()


def test_a_state_that_does_not_exist_is_404(client, manager):
    client.force_login(manager)
    assert client.get("/standards/NOPE/plan/").status_code == 404
    assert client.get("/standards/LEAD/requirements/nope/edit/").status_code == 404


def test_the_api_reads_and_writes_the_content_plan_with_the_same_rules(manager):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(manager)
    read = api.get("/api/v1/standards/NEGOTIATION/").json()
    assert (read["content_stages"], read["channels"]) == (["selection", "negotiation"], ["visit", "online_meeting"])
    assert (read["requirements"][0]["content_stage"], read["requirements"][0]["channel"]) == ("negotiation", "visit")
    body = {"channels": ["phone"], "requirements": [dict(read["requirements"][0], channel="phone")]}
    assert api.put("/api/v1/standards/NEGOTIATION/", body, format="json").status_code == 200
    standard = Standard.objects.get(state="NEGOTIATION")
    assert (standard.channels, standard.content_stages, standard.requirements.get().channel) == (
        ["phone"], ["selection", "negotiation"], "phone")  # the stages not sent are kept
    bad = api.put("/api/v1/standards/NEGOTIATION/", {"channels": ["fax"], "requirements": [
        dict(read["requirements"][0], content_stage="gossip")]}, format="json")
    assert bad.status_code == 400
    assert "content_stage" in bad.json()["requirements"]["0"] and "channels" in bad.json()
    assert Standard.objects.get(state="NEGOTIATION").version == 2


def test_in_japanese_every_code_in_the_table_is_shown_by_its_japanese_label(client, manager):
    manager.language = "ja"
    manager.save(update_fields=["language"])
    client.force_login(manager)
    html = client.get("/standards/").content.decode()
    row = html[html.index('id="row-NEGOTIATION"'):html.index('id="row-CHURNED"')]
    assert "フィールドセールス" in row and "訪問" in row  # responsible role, channel
    assert "Field sales" not in row and "Visit" not in row
