"""A requirement's bounds (standards.models): window 1–3,650 days, minimum touches 1–1,000. Out of range is refused
with the field named, through the API and the editor page; each bound itself is taken; the night runs with the
widest values allowed."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from core.timeutil import business_today
from engine.models import CoverageRow, RecomputeRun
from standards.models import Requirement, StandardChange
from tests.factories import AccountFactory, OpportunityFactory, TouchFactory
from tests.web.test_editors import cell_post

pytestmark = pytest.mark.django_db

REFUSED = [("window_days", 0), ("window_days", 3651), ("window_days", 1311100056), ("min_count", 0),
           ("min_count", 1001), ("min_count", -3)]
AT_THE_BOUNDS = [("window_days", 1), ("window_days", 3650), ("min_count", 1), ("min_count", 1000)]


def requirement(**changes) -> dict:
    return {"code": "human", "kind": "human", "min_count": 1, "window_days": 7, "responsible_role": "sales",
            "performer_roles": [], **changes}


@pytest.fixture
def api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


@pytest.mark.parametrize(("field", "value"), REFUSED)
def test_a_requirement_out_of_range_is_refused_by_the_api_with_the_field_named(api, field, value):
    response = api.put("/api/v1/standards/NEGOTIATION/", {"requirements": [requirement(**{field: value})]}, format="json")
    assert response.status_code == 400
    assert field in response.json()["requirements"]["0"]
    assert Requirement.objects.get(standard__state="NEGOTIATION").window_days == 7
    assert not StandardChange.objects.exists()


@pytest.mark.parametrize(("field", "value"), AT_THE_BOUNDS)
def test_a_requirement_at_a_bound_is_taken_by_the_api(api, field, value):
    response = api.put("/api/v1/standards/NEGOTIATION/", {"requirements": [requirement(**{field: value})]}, format="json")
    assert response.status_code == 200, response.content
    assert getattr(Requirement.objects.get(standard__state="NEGOTIATION"), field) == value


def test_performer_roles_must_be_a_list_of_known_roles(api):
    for bad in (["pilot"], "sales"):
        response = api.put("/api/v1/standards/NEGOTIATION/", {"requirements": [requirement(performer_roles=bad)]},
                           format="json")
        assert response.status_code == 400 and "performer_roles" in response.json()["requirements"]["0"]


@pytest.mark.parametrize(("field", "value"), REFUSED)
def test_a_requirement_out_of_range_is_refused_by_the_editor_page_next_to_the_field(client, manager, field, value):
    client.force_login(manager)
    response = client.post("/standards/LEAD/requirements/digital/edit/", cell_post("LEAD", "digital", **{field: value}))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not StandardChange.objects.exists()


@pytest.mark.parametrize(("field", "value"), AT_THE_BOUNDS)
def test_a_requirement_at_a_bound_is_saved_by_the_editor_page(client, manager, field, value):
    client.force_login(manager)
    response = client.post("/standards/LEAD/requirements/digital/edit/", cell_post("LEAD", "digital", **{field: value}))
    assert response.status_code == 303
    assert getattr(Requirement.objects.get(standard__state="LEAD", code="digital"), field) == value


def test_the_editor_inputs_carry_the_models_bounds(client, manager):
    client.force_login(manager)
    html = client.get("/standards/LEAD/requirements/digital/edit/").content.decode()
    assert 'name="LEAD-digital-window_days"' in html and 'max="3650"' in html and 'max="1000"' in html


def test_the_model_and_the_database_refuse_a_window_out_of_range():
    req = Requirement.objects.get(standard__state="LEAD", code="digital")
    req.window_days = 3651
    with pytest.raises(ValidationError) as exc:
        req.full_clean()
    assert "window_days" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Requirement.objects.filter(pk=req.pk).update(window_days=1311100056)


def test_the_night_runs_with_the_widest_window_and_the_most_touches_allowed(api):
    response = api.put("/api/v1/standards/NEGOTIATION/", {"requirements": [requirement(window_days=3650, min_count=1000)]},
                       format="json")
    assert response.status_code == 200
    today = business_today()
    account = AccountFactory()
    OpportunityFactory(account=account, opened_on=today - dt.timedelta(days=10))
    TouchFactory(account=account, occurred_at=dt.datetime.combine(today - dt.timedelta(days=3000), dt.time(3),
                                                                  tzinfo=dt.timezone.utc))
    call_command("recompute_coverage", "--as-of", today.isoformat(), stdout=io.StringIO())
    assert RecomputeRun.objects.get(as_of=today).status == RecomputeRun.Status.COMPLETED
    row = CoverageRow.objects.get(account=account)
    assert (row.window_days, row.min_count, row.counted, row.gap, row.status) == (3650, 1000, 1, 999, "under_covered")


@pytest.mark.django_db(transaction=True)
def test_the_migration_brings_a_stored_window_and_count_out_of_range_to_their_bounds():
    from tests.engine.migrating import migrate_to, migrate_to_latest

    apps = migrate_to("standards", "0002_default_standards")
    OldStandard, OldRequirement = apps.get_model("standards", "Standard"), apps.get_model("standards", "Requirement")
    # Made here: an earlier transactional test may have flushed the seeded standards.
    churned, _ = OldStandard.objects.get_or_create(state="CHURNED")
    OldRequirement.objects.filter(standard=churned).delete()
    OldRequirement.objects.create(standard=churned, code="digital", kind="digital", min_count=5000,
                                  window_days=1311100056, responsible_role="marketing")
    migrate_to_latest()
    assert Requirement.objects.filter(standard__state="CHURNED").values_list("min_count", "window_days").get() == (1000, 3650)
