"""The state settings page's preview job: pressing Preview queues a job, the page polls it (a spinner and a progress
bar while it runs), then shows the state flow and current against proposed; one job at a time per person; a failed
job says why. Access: the page, the polling partial and the API answer managers and admins only, and a person reads
only their own previews."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIClient

from core.choices import Role, State
from core.dispatch import PENDING_WORK, dispatch_sweep
from core.permissions import MANAGERS
from engine.services import recompute_all
from segments.models import ThresholdPreviewJob
from segments.threshold_preview import STALE_AFTER, threshold_preview_request, threshold_preview_run
from tests.factories import AccountFactory, LeadFactory, UserFactory
from tests.web.access import ALL_ROLES, assert_anonymous_is_sent_to_login, assert_page_access

pytestmark = pytest.mark.django_db
Job = ThresholdPreviewJob
SAVED = {"churn_after_days": 365, "onboarding_days": 183, "loyal_min_tenure_days": 730, "loyal_min_won_deals": 3,
         "hot_lead_min_score": 70, "high_potential_min_fit": 70}
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def a_lead(db):
    """A lead scored 60 (LEAD with the saved thresholds, HOT_LEAD with a minimum score of 60), after a night."""
    account = AccountFactory()
    LeadFactory(account=account, created_on=timezone.localdate() - dt.timedelta(days=5), score=60)
    recompute_all(as_of=timezone.localdate())
    return account


def press_preview(client, **changes):
    return client.post("/states/settings/", {**SAVED, **changes, "action": "preview"}, **HTMX)


def test_the_page_and_its_polling_answer_managers_and_admins_only(client, personas):
    assert_page_access(client, personas, "/states/settings/", MANAGERS)
    job, _created = threshold_preview_request(actor=personas[Role.MANAGER], changes={"hot_lead_min_score": 60})
    url = f"/states/settings/preview/{job.pk}/"
    assert_anonymous_is_sent_to_login(client, url)
    for role in ALL_ROLES:
        client.force_login(personas[role])
        expected = 200 if role == Role.MANAGER else 404 if role in MANAGERS else 403  # an admin: not theirs
        assert client.get(url, **HTMX).status_code == expected, role


def test_another_persons_preview_is_missing_to_them(client, personas):
    other = UserFactory(username="other-manager", role=Role.MANAGER)
    job, _created = threshold_preview_request(actor=other, changes={"hot_lead_min_score": 60})
    client.force_login(personas[Role.MANAGER])
    assert client.get(f"/states/settings/preview/{job.pk}/").status_code == 404
    assert client.get("/states/settings/preview/999999/").status_code == 404


def test_wrong_roles_cannot_start_a_preview(client, personas):
    for role in ALL_ROLES:
        if role in MANAGERS:
            continue
        client.force_login(personas[role])
        assert press_preview(client, hot_lead_min_score=60).status_code == 403
    assert not Job.objects.exists()


def test_preview_shows_a_spinner_and_progress_then_the_state_flow(client, manager, a_lead):
    manager.language = "en"
    manager.save()
    client.force_login(manager)
    response = press_preview(client, hot_lead_min_score=60)  # the test's transaction never commits: still queued
    html = response.content.decode()
    job = Job.objects.get()
    assert (job.status, job.requested_by, job.proposal["hot_lead_min_score"]) == (Job.Status.QUEUED, manager, 60)
    assert f'hx-get="/states/settings/preview/{job.pk}/"' in html and 'hx-trigger="every 1s"' in html
    assert 'class="spinner"' in html and 'role="progressbar"' in html and 'aria-valuenow="0"' in html
    assert "Hot lead: minimum lead score: 70 → <strong>60</strong>" in html  # the change it previews
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, progress=40)
    running = client.get(f"/states/settings/preview/{job.pk}/", **HTMX).content.decode()
    assert 'aria-valuenow="40"' in running and "every 1s" in running
    Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED, progress=0)
    assert threshold_preview_run(job_id=job.pk)
    done = client.get(f"/states/settings/preview/{job.pk}/", **HTMX).content.decode()
    assert "every 1s" not in done and "spinner" not in done
    assert "State flow" in done
    assert f"<td>{State.LEAD.label}</td><td>{State.HOT_LEAD.label}</td><td class=\"num\">1</td>" in done
    assert "Hot lead: minimum lead score: 70 → <strong>60</strong>" in done
    # The page shows the person's latest preview too.
    assert "State flow" in client.get("/states/settings/").content.decode()



def test_the_state_flow_names_states_in_japanese_for_a_japanese_reader(client, manager, a_lead):
    assert manager.language == "ja"
    client.force_login(manager)
    press_preview(client, hot_lead_min_score=60)
    threshold_preview_run(job_id=Job.objects.get().pk)
    html = client.get("/states/settings/").content.decode()
    with translation.override("ja"):
        lead, hot = str(State.LEAD.label), str(State.HOT_LEAD.label)
    assert f"<td>{lead}</td><td>{hot}</td><td class=\"num\">1</td>" in html
    assert ">LEAD<" not in html and ">HOT_LEAD<" not in html  # no raw codes


def test_a_second_press_shows_the_running_preview(client, manager, a_lead):
    client.force_login(manager)
    press_preview(client, hot_lead_min_score=60)
    again = press_preview(client, hot_lead_min_score=50).content.decode()
    job = Job.objects.get()
    assert job.proposal["hot_lead_min_score"] == 60
    assert f"/states/settings/preview/{job.pk}/" in again and 'role="status"' in again
    # Once it is done, the next press starts another.
    threshold_preview_run(job_id=job.pk)
    press_preview(client, hot_lead_min_score=50)
    assert Job.objects.count() == 2


def test_each_manager_has_their_own_preview(manager, a_lead):
    other = UserFactory(username="other-manager", role=Role.MANAGER)
    mine, created_mine = threshold_preview_request(actor=manager, changes={"hot_lead_min_score": 60})
    theirs, created_theirs = threshold_preview_request(actor=other, changes={"hot_lead_min_score": 60})
    assert created_mine and created_theirs and mine.pk != theirs.pk


def test_a_job_that_stopped_moving_ends_as_failed_and_another_can_start(client, manager, a_lead):
    job, _created = threshold_preview_request(actor=manager, changes={"hot_lead_min_score": 60})
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, progress=30)
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - STALE_AFTER - dt.timedelta(minutes=1))
    client.force_login(manager)
    press_preview(client, hot_lead_min_score=50)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert Job.objects.filter(status=Job.Status.QUEUED).count() == 1
    manager.language = "en"
    manager.save()
    html = client.get(f"/states/settings/preview/{job.pk}/").content.decode()
    assert "The preview stopped without finishing" in html and 'role="alert"' in html


def test_a_running_job_whose_worker_died_stops_the_polling_when_read(client, manager, a_lead):
    """Read by the page's polling after STALE_AFTER without progress, a running job ends as failed: the box says so
    and polls no more. Moving, or still queued (the dispatch sweep sends it again), it keeps polling."""
    job, _created = threshold_preview_request(actor=manager, changes={"hot_lead_min_score": 60})
    manager.language = "en"
    manager.save()
    client.force_login(manager)
    url = f"/states/settings/preview/{job.pk}/"
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - STALE_AFTER - dt.timedelta(minutes=1))
    assert "every 1s" in client.get(url, **HTMX).content.decode()  # queued: still waiting
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, progress=30, updated_at=timezone.now())
    assert "every 1s" in client.get(url, **HTMX).content.decode()  # running and moving
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - STALE_AFTER - dt.timedelta(minutes=1))
    html = client.get(url, **HTMX).content.decode()
    assert "The preview stopped without finishing" in html and "every 1s" not in html
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.finished_at is not None


def test_a_failed_job_says_why_and_changes_nothing(client, manager, a_lead):
    # A proposal the engine cannot read (written around the service): the computation fails.
    job = Job.objects.create(requested_by=manager, proposal={"hot_lead_min_score": 60, "warm_lead": 1},
                             thresholds_version=1)
    assert threshold_preview_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "TypeError" in job.error and job.finished_at is not None
    manager.language = "en"
    manager.save()
    client.force_login(manager)
    html = client.get(f"/states/settings/preview/{job.pk}/").content.decode()
    assert "The preview could not be computed" in html and "Nothing was changed" in html


def test_a_job_is_computed_once_however_often_its_message_comes(manager, a_lead):
    job, _created = threshold_preview_request(actor=manager, changes={"hot_lead_min_score": 60})
    assert threshold_preview_run(job_id=job.pk)
    assert not threshold_preview_run(job_id=job.pk)


def test_a_running_job_is_taken_over_only_once_it_stopped_moving(manager, a_lead):
    """A message delivered again while its worker still runs computes nothing; once the job has not moved for
    STALE_AFTER (its worker died), the message computes it."""
    job, _created = threshold_preview_request(actor=manager, changes={"hot_lead_min_score": 60})
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, progress=30)
    assert not threshold_preview_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.progress) == (Job.Status.RUNNING, 30)
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - STALE_AFTER - dt.timedelta(minutes=1))
    assert threshold_preview_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.progress, job.error) == (Job.Status.DONE, 100, "")
    assert {"from": State.LEAD, "to": State.HOT_LEAD, "accounts": 1} in job.result["flow"]


def test_a_preview_left_queued_is_sent_again_by_the_dispatch_sweep(manager, a_lead):
    job, _created = threshold_preview_request(actor=manager, changes={"hot_lead_min_score": 60})
    kinds = tuple(w for w in PENDING_WORK if w.model == "segments.ThresholdPreviewJob")
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(minutes=2))
    assert dispatch_sweep(kinds=kinds) == 1  # in-process here: computed at once
    job.refresh_from_db()
    assert job.status == Job.Status.DONE


def test_bad_values_are_refused_naming_the_field(client, manager):
    manager.language = "en"
    manager.save()
    client.force_login(manager)
    plain = client.post("/states/settings/", {**SAVED, "hot_lead_min_score": 130, "action": "preview"})
    assert plain.status_code == 400
    partial = press_preview(client, hot_lead_min_score="many").content.decode()
    assert "Hot lead: minimum lead score:" in partial and 'role="alert"' in partial
    assert not Job.objects.exists()


def test_without_a_broker_the_preview_is_done_when_the_press_is_answered(client, manager, a_lead,
                                                                          django_capture_on_commit_callbacks):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        press_preview(client, hot_lead_min_score=60)
    job = Job.objects.get()
    assert job.status == Job.Status.DONE
    assert job.result["flow"] == [{"from": State.LEAD, "to": State.HOT_LEAD, "accounts": 1}]


# --- the API -----------------------------------------------------------------------------------------------------


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_api_starts_a_preview_and_answers_its_status(manager, a_lead):
    response = api(manager).post("/api/v1/segments/preview/", {"hot_lead_min_score": 60}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["proposal"]["hot_lead_min_score"] == 60
    assert body["proposal"]["onboarding_days"] == 183  # the others as saved
    again = api(manager).post("/api/v1/segments/preview/", {"hot_lead_min_score": 50}, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    threshold_preview_run(job_id=body["id"])
    done = api(manager).get(f"/api/v1/segments/preview/{body['id']}/").json()
    assert (done["status"], done["progress"], done["error"]) == ("done", 100, "")
    assert done["result"]["flow"] == [{"from": "LEAD", "to": "HOT_LEAD", "accounts": 1}]


def test_api_access(personas):
    owner = UserFactory(username="other-manager", role=Role.MANAGER)
    job, _created = threshold_preview_request(actor=owner, changes={})
    assert api().post("/api/v1/segments/preview/", {}, format="json").status_code in (401, 403)
    assert api().get(f"/api/v1/segments/preview/{job.pk}/").status_code in (401, 403)
    for role in ALL_ROLES:
        user = personas[role]
        posted = api(user).post("/api/v1/segments/preview/", {"hot_lead_min_score": 60}, format="json")
        read = api(user).get(f"/api/v1/segments/preview/{job.pk}/")
        if role in MANAGERS:
            assert posted.status_code == 202, role
            assert read.status_code == 404, role  # someone else's
        else:
            assert (posted.status_code, read.status_code) == (403, 403), role
    assert api(owner).get(f"/api/v1/segments/preview/{job.pk}/").status_code == 200


@pytest.mark.parametrize("body, field", [
    ({"hot_lead_min_score": 130}, "hot_lead_min_score"),
    ({"churn_after_days": "soon"}, "churn_after_days"),
    ({"loyal_min_won_deals": 0}, "loyal_min_won_deals"),
])
def test_api_refuses_bad_values_naming_the_field(manager, body, field):
    response = api(manager).post("/api/v1/segments/preview/", body, format="json")
    assert response.status_code == 400 and field in str(response.json())
    assert not Job.objects.exists()


def test_the_schema_documents_the_preview(manager):
    schema = api(manager).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "post" in schema["paths"]["/api/v1/segments/preview/"]
    assert "get" in schema["paths"]["/api/v1/segments/preview/{id}/"]
