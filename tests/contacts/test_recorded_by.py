"""Who recorded a touch, apart from who performed it; a rep records only their own touches (docs/permissions.md,
touches; docs/api.md §5): through the service, the API and the page, for each role, and nothing written on refusal."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from rest_framework.test import APIClient

from contacts.models import Touch
from contacts.services import touch_log
from core.choices import Role
from core.models import AuditEntry
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
MANAGERS = {Role.MANAGER, Role.ADMIN}


@pytest.fixture
def account():
    return AccountFactory(external_id="ACC-1")


def body(**fields):
    return {"account_external_id": "ACC-1", "occurred_at": "2026-07-01 10:00", "kind": "human", **fields}


def test_the_api_records_who_submitted_and_refuses_reps_recording_for_someone_else(personas, account, csm):
    api = APIClient()
    for minute, (role, user) in enumerate(personas.items()):
        api.force_authenticate(user)
        performer = csm if user != csm else personas[Role.SALES]
        at = f"2026-07-01 10:{minute:02d}"
        response = api.post("/api/v1/touches/", body(performer=performer.username, occurred_at=at), format="json")
        if role in MANAGERS:
            assert response.status_code == 201, (role, response.content)
            assert (response.json()["performer"], response.json()["recorded_by"]) == (performer.username, user.username)
            assert response.json()["performer_role"] == performer.role
        else:
            assert response.status_code == 403, (role, response.content)
            assert performer.username in response.json()["detail"]
        own = api.post("/api/v1/touches/", body(performer=user.username, occurred_at=at, channel="phone"),
                       format="json")
        assert own.status_code == 201 and own.json()["recorded_by"] == user.username, role
    assert Touch.objects.count() == len(personas) + len(MANAGERS)
    assert set(Touch.objects.exclude(performer=F("recorded_by")).values_list("recorded_by__role", flat=True)) \
        == MANAGERS


def test_a_refused_item_refuses_the_whole_list_and_nothing_is_written(sales, csm, account):
    api = APIClient()
    api.force_authenticate(sales)
    response = api.post("/api/v1/touches/", [body(), body(performer=csm.username, channel="visit")], format="json")
    assert response.status_code == 403 and "1" in response.json()
    other_role = api.post("/api/v1/touches/", body(kind="digital", performer_role="marketing"), format="json")
    assert other_role.status_code == 403
    assert not Touch.objects.exists() and not AuditEntry.objects.filter(action="touch.log").exists()
    own_role = api.post("/api/v1/touches/", body(kind="digital", performer_role="sales"), format="json")
    assert own_role.status_code == 201 and own_role.json()["recorded_by"] == "sora"


def test_a_performer_role_other_than_the_performers_is_refused_for_everyone(manager, csm, account):
    api = APIClient()
    api.force_authenticate(manager)
    response = api.post("/api/v1/touches/", body(performer=csm.username, performer_role="sales"), format="json")
    assert response.status_code == 400 and "performer_role" in response.json()
    same = api.post("/api/v1/touches/", body(performer=csm.username, performer_role="csm"), format="json")
    assert same.status_code == 201 and same.json()["performer_role"] == "csm"
    assert Touch.objects.count() == 1


def test_the_service_stores_recorded_by_and_refuses_a_rep(sales, csm, manager, account):
    with pytest.raises(PermissionDenied):
        touch_log(recorded_by=sales, account=account, kind="human", performer=csm)
    with pytest.raises(ValidationError):
        touch_log(recorded_by=manager, account=account, kind="human", performer=csm, performer_role="sales")
    assert not Touch.objects.exists()
    logged = touch_log(recorded_by=manager, account=account, kind="human", performer=csm)
    assert (logged.touch.performer, logged.touch.recorded_by, logged.touch.performer_role) == (csm, manager, "csm")
    assert AuditEntry.objects.get(action="touch.log").after["recorded_by"] == "mia"
    imported = touch_log(recorded_by=None, account=account, kind="digital", performer_role="marketing", source="csv")
    assert imported.touch.recorded_by is None and imported.touch.performer is None


def test_the_page_logs_for_someone_else_only_for_managers(client, personas, csm, account):
    for role, user in personas.items():
        client.force_login(user)
        performer = csm if user != csm else personas[Role.SALES]
        before = Touch.objects.count()
        response = client.post(f"/touches/log/{account.pk}/", {"kind": "human", "channel": "visit",
                                                               "performer": performer.username}, follow=True)
        assert response.status_code == 200
        if role in MANAGERS:
            touch = Touch.objects.latest("id")
            assert (touch.performer, touch.recorded_by) == (performer, user), role
        else:
            assert Touch.objects.count() == before, role  # refused: nothing written
            assert any(performer.username in str(m) for m in response.context["messages"]), role
        client.post(f"/touches/log/{account.pk}/", {"kind": "digital", "channel": "phone"})
        touch = Touch.objects.latest("id")
        assert (touch.performer, touch.recorded_by) == (user, user), role


def test_the_page_refuses_an_unknown_performer(client, sales, account):
    client.force_login(sales)
    response = client.post(f"/touches/log/{account.pk}/", {"kind": "human", "performer": "nobody"}, follow=True)
    assert response.status_code == 200 and not Touch.objects.exists()


def test_an_import_records_the_importing_user_or_nobody(tmp_path, admin_user, sales, account):
    """On SQLite the ORM path, on PostgreSQL the staged merge: both set recorded_by on the touches they create."""
    from core.services import import_file

    def write(name: str, rows: str):
        path = tmp_path / name
        path.write_text("external_id,account_external_id,occurred_at,kind,performer,performer_role\n" + rows,
                        encoding="utf-8")
        return path

    import_file(kind="touches", path=write("a.csv", "T-1,ACC-1,2026-07-01 10:00,human,sora,\n"), user=admin_user)
    import_file(kind="touches", path=write("b.csv", "T-2,ACC-1,2026-07-02 10:00,digital,,marketing\n"))
    one, two = Touch.objects.get(external_id="T-1"), Touch.objects.get(external_id="T-2")
    assert (one.recorded_by, one.performer, one.source) == (admin_user, sales, "csv")
    assert (two.recorded_by, two.source) == (None, "csv")
    # Imported again by someone else: unchanged, recorded_by kept.
    run = import_file(kind="touches", path=write("a.csv", "T-1,ACC-1,2026-07-01 10:00,human,sora,\n"), user=sales)
    assert run.unchanged == 1 and Touch.objects.get(external_id="T-1").recorded_by == admin_user
