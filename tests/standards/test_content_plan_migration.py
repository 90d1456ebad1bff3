"""The content-plan migration (standards 0004) fills the seed's plans where a standard or requirement has none,
and leaves alone what is not the seed's (docs/rules.md §4)."""

import pytest

from standards.models import Requirement, Standard


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_seeds_content_plans_for_existing_standards():
    from tests.engine.migrating import migrate_to, migrate_to_latest

    apps = migrate_to("standards", "0003_requirement_ranges")
    OldStandard, OldRequirement = apps.get_model("standards", "Standard"), apps.get_model("standards", "Requirement")
    # Made here: an earlier transactional test may have flushed the seeded standards.
    negotiation, _ = OldStandard.objects.get_or_create(state="NEGOTIATION")
    OldRequirement.objects.filter(standard=negotiation).delete()
    OldRequirement.objects.create(standard=negotiation, code="human", kind="human", min_count=1, window_days=7,
                                  responsible_role="sales")
    OldRequirement.objects.create(standard=negotiation, code="own-idea", kind="digital", min_count=1, window_days=7,
                                  responsible_role="sales", order=1)
    migrate_to_latest()
    standard = Standard.objects.get(state="NEGOTIATION")
    assert (standard.content_stages, standard.channels) == (["selection", "negotiation"], ["visit", "online_meeting"])
    plans = dict((code, (stage, channel)) for code, stage, channel in
                 Requirement.objects.filter(standard=standard).values_list("code", "content_stage", "channel"))
    assert plans == {"human": ("negotiation", "visit"), "own-idea": ("", "")}
