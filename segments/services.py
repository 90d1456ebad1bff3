from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.models import AuditEntry, User
from core.versioning import check_version

from .models import StateThresholds

THRESHOLD_FIELDS = ("churn_after_days", "onboarding_days", "loyal_min_tenure_days", "loyal_min_won_deals",
                    "hot_lead_min_score", "high_potential_min_fit")


def clean_threshold_changes(changes: Mapping[str, object]) -> dict[str, int]:
    """Threshold values checked by the model fields' own rules (a whole number within its range, segments.models);
    a ValidationError names each field that is unknown or out of range."""
    errors = {}
    clean = {}
    for field, value in changes.items():
        if field not in THRESHOLD_FIELDS:
            errors[field] = _("unknown setting")
            continue
        try:
            clean[field] = StateThresholds._meta.get_field(field).clean(value, None)
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)
    return clean


def thresholds_update(
    *, changes: Mapping[str, object], actor: User | None, expected_version: int | None = None,
) -> StateThresholds:
    """Change the state rules' thresholds; the next recompute reads them.

    Compare-and-set under the row lock: a save that changes something raises the version by one; with
    ``expected_version`` (what the page or API client read) a row saved by someone else since is refused with
    core.versioning.StaleVersion and nothing is written (docs/api.md §5, "Versions and conflicts")."""
    clean = clean_threshold_changes(changes)
    with transaction.atomic():
        StateThresholds.load()
        thresholds = StateThresholds.objects.select_for_update().get(pk=1)
        check_version(current=thresholds.version, expected=expected_version, label=str(_("The state thresholds")),
                      object_type="state_thresholds", object_id="1")
        before = {f: getattr(thresholds, f) for f in THRESHOLD_FIELDS}
        for field, number in clean.items():
            setattr(thresholds, field, number)
        after = {f: getattr(thresholds, f) for f in THRESHOLD_FIELDS}
        if after != before:
            thresholds.version += 1
            thresholds.updated_by = actor
            thresholds.save()
            AuditEntry.objects.create(actor=actor, action="thresholds.update", object_type="state_thresholds",
                                      object_id="1", before={**before, "version": thresholds.version - 1},
                                      after={**after, "version": thresholds.version})
    return thresholds
