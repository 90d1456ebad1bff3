"""Saving the standards editor through standards.services: the whole set in one transaction, each standard that
changed versioned and audited."""

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditEntry
from standards.models import Standard, StandardChange
from standards.services import standard_set_save, standard_snapshot

pytestmark = pytest.mark.django_db


def current() -> dict[str, list[dict]]:
    return {s.state: standard_snapshot(s)["requirements"] for s in Standard.objects.all()}


def test_saving_the_set_versions_and_audits_only_the_standards_that_changed(manager):
    proposed = current()
    proposed["ACTIVE"][0]["window_days"] = 21
    versions = dict(Standard.objects.values_list("state", "version"))
    assert standard_set_save(requirements_by_state=proposed, actor=manager, comment="Tighter follow-up") == 1
    change = StandardChange.objects.get()
    assert (change.standard.state, change.version, change.changed_by, change.comment) == (
        "ACTIVE", versions["ACTIVE"] + 1, manager, "Tighter follow-up")
    entry = AuditEntry.objects.get(action="standard.update")
    assert (entry.actor, entry.object_id) == (manager, "ACTIVE")
    assert entry.after["requirements"][0]["window_days"] == 21
    assert {s: v for s, v in Standard.objects.values_list("state", "version") if s != "ACTIVE"} == {
        s: v for s, v in versions.items() if s != "ACTIVE"}


def test_saving_the_same_set_changes_nothing(manager):
    assert standard_set_save(requirements_by_state=current(), actor=manager) == 0
    assert not StandardChange.objects.exists() and not AuditEntry.objects.exists()


def test_one_bad_standard_saves_none_of_the_set(manager):
    proposed = current()
    proposed["ACTIVE"][0]["window_days"] = 21
    proposed["LEAD"][0]["kind"] = "carrier-pigeon"
    with pytest.raises(ValidationError):
        standard_set_save(requirements_by_state=proposed, actor=manager)
    assert not StandardChange.objects.exists() and not AuditEntry.objects.exists()
    assert standard_snapshot(Standard.objects.get(state="ACTIVE"))["requirements"][0]["window_days"] == 30


def test_a_long_comment_is_kept_to_its_column(manager):
    proposed = current()
    proposed["ACTIVE"][0]["window_days"] = 14
    standard_set_save(requirements_by_state=proposed, actor=manager, comment="x" * 500)
    assert len(StandardChange.objects.get().comment) == 300
