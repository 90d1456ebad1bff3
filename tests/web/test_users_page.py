"""Admins manage people in the app: the directory (role, team, the team's managers, language, last sign-in, lock),
adding and inviting, changing role or team (recorded; past touches keep their role), deactivating (never
deleting), sending a password reset and lifting a sign-in lock — each audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from contacts.models import Touch
from core.choices import Role
from core.models import AuditEntry, User
from tests.factories import AccountFactory, UserFactory
from tests.web.access import assert_page_access

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


@pytest.fixture
def person(db):
    return UserFactory(username="rita", full_name="Rita Rep", role=Role.SALES, team="east", password="pw-2026-long")


@pytest.mark.parametrize("url", ["/users/", "/users/new/"])
def test_only_admins_reach_the_people_pages(client, personas, url):
    assert_page_access(client, personas, url, allowed=(Role.ADMIN,))


def test_a_non_admin_cannot_act_on_a_person(client, personas, person):
    client.force_login(personas[Role.MANAGER])
    assert client.post(f"/users/{person.pk}/deactivate/").status_code == 403
    assert User.objects.get(pk=person.pk).is_active


def test_the_directory_shows_role_team_managers_and_lock(client, personas, person):
    UserFactory(username="wes", full_name="Wes West", team="west")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "rita", "password": "wrong"})
    client.force_login(personas[Role.ADMIN])
    page = client.get("/users/?team=east").content.decode()
    assert "Rita Rep" in page and "Mia Manager" in page  # the east team's manager
    assert "Locked out" in page or "ロック" in page
    assert "Wes West" not in page  # filtered to the east team


def test_the_directory_reads_in_a_fixed_number_of_queries(client, personas, django_assert_max_num_queries):
    for i in range(30):
        UserFactory(username=f"extra{i}", team="west" if i % 2 else "east")
    client.force_login(personas[Role.ADMIN])
    with django_assert_max_num_queries(12):
        assert client.get("/users/").status_code == 200


def test_an_admin_adds_a_person_who_is_invited_by_email(client, personas, django_capture_on_commit_callbacks):
    client.force_login(personas[Role.ADMIN])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/users/new/", {"username": "newbie", "full_name": "New Bie",
                                               "email": "newbie@example.com", "role": Role.CSM, "team": "west", "language": "en"})
    assert response.status_code == 302
    newbie = User.objects.get(username="newbie")
    assert newbie.role == Role.CSM and not newbie.has_usable_password()
    assert [m.to for m in mail.outbox] == [["newbie@example.com"]]
    assert AuditEntry.objects.filter(action="user.create", object_id=str(newbie.pk), actor=personas[Role.ADMIN]).exists()


def test_a_bad_form_names_the_field(client, personas, person):
    client.force_login(personas[Role.ADMIN])
    response = client.post("/users/new/", {"username": "rita", "full_name": "Dup", "email": "not-an-email",
                                           "role": "wizard", "team": "", "language": "ja"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"username", "email", "role"}
    assert User.objects.filter(username="rita").count() == 1


def test_a_role_change_is_recorded_and_past_touches_keep_their_role(client, personas, person):
    account = AccountFactory()
    when = timezone.now() - dt.timedelta(days=1)
    touch = Touch.objects.create(account=account, occurred_at=when, occurred_on=when.date(), kind="human",
                                 channel="visit", performer=person, performer_role=Role.SALES, natural_key="t1")
    client.force_login(personas[Role.ADMIN])
    response = client.post(f"/users/{person.pk}/", {"full_name": "Rita Rep", "email": "rita@example.com",
                                                    "role": Role.CSM, "team": "west", "language": "ja"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.role, person.team) == (Role.CSM, "west")
    change = AuditEntry.objects.get(action="user.role_change", object_id=str(person.pk))
    assert (change.before, change.after) == ({"role": Role.SALES}, {"role": Role.CSM})
    touch.refresh_from_db()
    assert touch.performer_role == Role.SALES


def test_deactivation_asks_first_then_keeps_the_person_who_can_no_longer_sign_in(client, personas, person):
    client.force_login(personas[Role.ADMIN])
    confirm = client.get(f"/users/{person.pk}/deactivate/")
    assert confirm.status_code == 200 and "Rita Rep" in confirm.content.decode()
    assert User.objects.get(pk=person.pk).is_active  # asking changed nothing
    assert client.post(f"/users/{person.pk}/deactivate/").status_code == 302
    assert not User.objects.get(pk=person.pk).is_active
    assert AuditEntry.objects.filter(action="user.deactivate", object_id=str(person.pk)).exists()
    client.logout()
    client.post("/login/", {"username": "rita", "password": "pw-2026-long"})
    assert "_auth_user_id" not in client.session


def test_an_admin_cannot_deactivate_themself(client, personas):
    admin = personas[Role.ADMIN]
    client.force_login(admin)
    client.post(f"/users/{admin.pk}/deactivate/")
    assert User.objects.get(pk=admin.pk).is_active


def test_an_admin_lifts_a_lock_and_the_person_signs_in(client, personas, person):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "rita", "password": "wrong"})
    assert client.post("/login/", {"username": "rita", "password": "pw-2026-long"}).status_code == 429
    client.force_login(personas[Role.ADMIN])
    assert client.post(f"/users/{person.pk}/unlock/").status_code == 302
    assert AuditEntry.objects.filter(action="user.unlock", object_id=str(person.pk)).exists()
    client.logout()
    assert client.post("/login/", {"username": "rita", "password": "pw-2026-long"}).status_code == 302


def test_an_admin_sends_a_password_reset(client, personas, person, django_capture_on_commit_callbacks):
    client.force_login(personas[Role.ADMIN])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/users/{person.pk}/reset-password/").status_code == 302
    assert [m.to for m in mail.outbox] == [[person.email]]
    assert AuditEntry.objects.filter(action="user.password_reset", object_id=str(person.pk)).exists()
