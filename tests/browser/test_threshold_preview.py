"""A manager lowers the hot-lead score on the state settings page and presses Preview: while the background job waits
and runs the box shows a spinner and a progress bar (polled every second, under the Content-Security-Policy), then the
state flow — the lead moving to hot lead — with current against proposed; nothing is saved."""

import datetime as dt

import pytest

from core.timeutil import business_today
from engine.services import recompute_all
from segments import threshold_preview
from segments.models import StateThresholds, ThresholdPreviewJob
from tests.browser.steps import log_in
from tests.factories import AccountFactory, LeadFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_manager_previews_a_threshold_and_reads_the_state_flow(browser_visit, base_url, monkeypatch):
    UserFactory(username="maki", role="manager", language="en")
    for score in (60, 65):
        LeadFactory(account=AccountFactory(), created_on=business_today() - dt.timedelta(days=3), score=score)
    recompute_all(as_of=business_today())
    # The broker takes the job and no worker has picked it up yet: the test is the worker, below.
    queued = []
    monkeypatch.setattr(threshold_preview, "dispatch_on_commit", lambda task, job_id: queued.append(job_id))

    log_in(browser_visit, base_url, "maki")
    page = browser_visit.page
    page.goto(f"{base_url}/states/settings/")
    page.fill("#id_hot_lead_min_score", "60")
    page.click("button[value=preview]")
    page.wait_for_selector("#threshold-preview .spinner")
    box = page.locator("#threshold-preview")
    assert box.locator("[role=progressbar]").get_attribute("aria-valuenow") == "0"
    assert "Waiting for a worker" in box.inner_text()
    assert "Hot lead: minimum lead score: 70 → 60" in box.inner_text()
    browser_visit.screenshot("queued")

    assert queued and threshold_preview.threshold_preview_run(job_id=queued[0])
    page.wait_for_selector("#threshold-preview table.state-flow", timeout=5_000)  # the next poll
    browser_visit.screenshot("done")
    assert page.locator("#threshold-preview .spinner").count() == 0
    row = page.locator("table.state-flow tbody tr").first
    assert row.locator("td").all_inner_texts() == ["Lead", "Hot lead", "2"]  # the states by their English labels
    assert ThresholdPreviewJob.objects.get().status == ThresholdPreviewJob.Status.DONE
    assert StateThresholds.load().hot_lead_min_score == 70
