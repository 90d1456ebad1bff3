"""Business settings carry a version (docs/api.md §5, "Versions and conflicts"): every save raises it, a save from a
stale read is refused — through the service, the model and the admin's form — and nothing is overwritten."""

import datetime as dt

import pytest

from core.models import AuditEntry, BusinessSettings
from core.settings_services import business_settings_update
from core.versioning import StaleVersion
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_two_editors_saving_the_business_settings_the_stale_one_is_refused(manager, admin_user):
    opened = BusinessSettings.load().version
    business_settings_update(actor=manager, changes={"workday_end": dt.time(19, 0)}, expected_version=opened)
    with pytest.raises(StaleVersion) as refused:
        business_settings_update(actor=admin_user, changes={"workday_start": dt.time(8, 0)}, expected_version=opened)
    assert refused.value.changes[0].actor == "mia" and refused.value.changes[0].fields == ("workday_end",)
    row = BusinessSettings.load()
    assert (row.workday_start, row.workday_end, row.version) == (dt.time(9, 0), dt.time(19, 0), opened + 1)
    business_settings_update(actor=admin_user, changes={"workday_start": dt.time(8, 0)}, expected_version=opened + 1)
    assert BusinessSettings.load().version == opened + 2
    assert AuditEntry.objects.filter(action="business_settings.update").count() == 2


def test_a_row_read_before_another_save_does_not_overwrite_it():
    first, second = BusinessSettings.load(), BusinessSettings.load()
    first.time_zone = "UTC"
    first.save()
    second.japanese_holidays_off = False
    with pytest.raises(StaleVersion):
        second.save()
    assert BusinessSettings.load().time_zone == "UTC" and BusinessSettings.load().japanese_holidays_off


def test_the_admin_form_refuses_a_stale_save_and_keeps_the_row(client):
    staff = UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
    other = UserFactory(username="otto", role="admin")
    opened = BusinessSettings.load().version
    business_settings_update(actor=other, changes={"time_zone": "UTC"})
    client.force_login(staff)
    form = {"time_zone": "Asia/Tokyo", "workday_start": "09:00", "workday_end": "18:00",
            "working_weekdays": "[1, 2, 3, 4, 5]", "japanese_holidays_off": "on", "opened_version": str(opened)}
    response = client.post("/admin/core/businesssettings/1/change/", form)
    assert response.status_code == 200 and "otto" in response.content.decode()
    assert BusinessSettings.load().time_zone == "UTC"
    fresh = client.post("/admin/core/businesssettings/1/change/", dict(form, opened_version=str(opened + 1)))
    assert fresh.status_code == 302 and BusinessSettings.load().time_zone == "Asia/Tokyo"
    assert AuditEntry.objects.filter(action="business_settings.update").latest("id").actor == staff
