"""The standards' history (/standards/history/): each saved change as before → after per requirement in words, who,
when and the comment; restoring a version in one step, itself a new version, audited; access by role."""

import pytest
from django.utils import translation

from core.choices import Role
from core.models import AuditEntry
from standards.display import change_diff
from standards.models import Requirement, Standard, StandardChange
from standards.services import standard_snapshot, standard_update
from tests.web.access import assert_page_access

pytestmark = pytest.mark.django_db
MANAGERS = (Role.MANAGER, Role.ADMIN)


@pytest.fixture(autouse=True)
def english(manager, admin_user):
    for user in (manager, admin_user):
        user.language = "en"
        user.save(update_fields=["language"])


def edit(state, actor, comment="", **changes):
    standard = Standard.objects.get(state=state)
    requirements = standard_snapshot(standard)["requirements"]
    requirements[0].update(changes)
    return standard_update(standard=standard, requirements=requirements, actor=actor, comment=comment,
                           expected_version=standard.version)


def test_the_history_is_for_managers_and_admins(client, personas):
    assert_page_access(client, personas, "/standards/history/", MANAGERS)


def test_a_rep_cannot_restore_a_version(client, manager, sales):
    edit("ACTIVE", manager, window_days=14)
    client.force_login(sales)
    response = client.post(f"/standards/history/{StandardChange.objects.get().pk}/restore/", {"version": "2"})
    assert response.status_code == 403
    assert Requirement.objects.get(standard__state="ACTIVE").window_days == 14


def test_the_diff_names_each_changed_field_before_and_after_in_words():
    before = {"purpose": "Grow", "owner_role": "sales", "requirements": [  # an old snapshot: no content plan yet
        {"code": "human", "kind": "human", "min_count": 1, "window_days": 30, "responsible_role": "sales",
         "performer_roles": []},
        {"code": "exec", "kind": "human", "min_count": 1, "window_days": 365, "responsible_role": "csm",
         "performer_roles": ["executive"]}]}
    after = {"purpose": "Grow", "owner_role": "sales", "content_stages": ["solution"], "channels": [],
             "requirements": [
                 {"code": "human", "kind": "human", "min_count": 2, "window_days": 30, "responsible_role": "sales",
                  "performer_roles": ["sales", "csm"], "content_stage": "solution", "channel": "visit"},
                 {"code": "mail", "kind": "digital", "min_count": 2, "window_days": 30, "responsible_role": "marketing",
                  "performer_roles": [], "content_stage": "", "channel": "email"}]}
    with translation.override("en"):
        diff = change_diff(before, after)
    assert [(f.name, f.before, f.after) for f in diff.standard] == [("Content stages", "none", "Solution")]
    assert [(r.code, r.status) for r in diff.requirements] == [("human", "changed"), ("mail", "added"),
                                                              ("exec", "removed")]
    human = diff.requirements[0]
    assert [(f.name, f.before, f.after) for f in human.fields] == [
        ("Minimum touches", "1", "2"), ("Counted touches by", "anyone", "Field sales, Customer success"),
        ("Content stage", "none", "Solution"), ("Channel", "none", "Visit")]
    assert diff.requirements[1].text_after == "Digital ×2 every 30 days · Marketing · counted: anyone · Email"
    assert diff.requirements[2].text_before.startswith("Human ×1 every 365 days · Customer success · counted: Executive")


def test_the_history_page_shows_who_when_the_comment_and_the_diff_with_labels(
        client, manager, django_assert_max_num_queries):
    edit("ACTIVE", manager, comment="Tighter follow-up", window_days=14, channel="phone")
    edit("LEAD", manager, comment="More mail", min_count=3)
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        html = client.get("/standards/history/").content.decode()
    assert "Active customer" in html and "version 2" in html and "Mia Manager" in html
    assert "Tighter follow-up" in html and "More mail" in html
    assert "Window (days)" in html and "<del>30</del> → <ins>14</ins>" in html
    assert "<del>Visit</del> → <ins>Phone</ins>" in html
    assert "diff-changed" in html and "marketing" not in html.split("<main")[1].replace("Marketing", "")
    only = client.get("/standards/history/?state=LEAD").content.decode()
    assert "More mail" in only and "Tighter follow-up" not in only


def test_restoring_a_version_puts_it_back_as_a_new_version_audited(client, manager):
    edit("ACTIVE", manager, comment="first", window_days=14)
    edit("ACTIVE", manager, comment="second", window_days=7, min_count=3)
    first = StandardChange.objects.get(comment="first")
    client.force_login(manager)
    response = client.post(f"/standards/history/{first.pk}/restore/", {"version": "3", "comment": "back to 14"})
    assert response.status_code == 302
    req = Requirement.objects.get(standard__state="ACTIVE")
    assert (req.window_days, req.min_count) == (14, 1)
    standard = Standard.objects.get(state="ACTIVE")
    assert standard.version == 4
    latest = StandardChange.objects.filter(standard=standard).order_by("-version").first()
    assert latest.comment == "Restored version 2. back to 14" and latest.changed_by == manager
    assert AuditEntry.objects.filter(action="standard.restore", object_id="ACTIVE").count() == 1


def test_the_version_before_the_first_change_can_be_restored_too(client, manager):
    edit("ACTIVE", manager, window_days=14)
    change = StandardChange.objects.get()
    client.force_login(manager)
    html = client.get("/standards/history/").content.decode()
    assert "Restore version 1" in html and "data-confirm" in html
    client.post(f"/standards/history/{change.pk}/restore/", {"version": "2", "side": "before"})
    assert Requirement.objects.get(standard__state="ACTIVE").window_days == 30
    assert Standard.objects.get(state="ACTIVE").version == 3


def test_a_restore_from_a_stale_page_is_refused_and_saves_nothing(client, manager, admin_user):
    edit("ACTIVE", manager, window_days=14)
    change = StandardChange.objects.get()
    edit("ACTIVE", admin_user, window_days=21)  # saved after the page was opened at version 2
    client.force_login(manager)
    response = client.post(f"/standards/history/{change.pk}/restore/", {"version": "2"}, follow=True)
    assert "Nothing was saved" in response.content.decode()
    assert Requirement.objects.get(standard__state="ACTIVE").window_days == 21


def test_a_missing_change_is_404(client, manager):
    client.force_login(manager)
    assert client.post("/standards/history/999999/restore/", {"version": "1"}).status_code == 404


def test_the_version_in_force_is_not_offered_for_restoring(client, manager):
    edit("ACTIVE", manager, window_days=14)
    edit("ACTIVE", manager, window_days=7)
    client.force_login(manager)
    html = client.get("/standards/history/").content.decode()
    assert "This is the version in force." in html
    assert "Restore version 3" not in html and "Restore version 2" in html and "Restore version 1" in html
