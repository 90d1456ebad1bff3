from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction

from core.models import AuditEntry, User

from .models import StateThresholds

THRESHOLD_FIELDS = ("churn_after_days", "onboarding_days", "loyal_min_tenure_days", "loyal_min_won_deals",
                    "hot_lead_min_score", "high_potential_min_fit")


def thresholds_update(*, changes: Mapping[str, object], actor: User | None) -> StateThresholds:
    """Change the state rules' thresholds; the next recompute reads them."""
    errors = {}
    clean = {}
    for field, value in changes.items():
        if field not in THRESHOLD_FIELDS:
            errors[field] = "unknown setting"
            continue
        try:
            # The model field's own rules: a whole number within its range (segments.models).
            clean[field] = StateThresholds._meta.get_field(field).clean(value, None)
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        thresholds = StateThresholds.load()
        before = {f: getattr(thresholds, f) for f in THRESHOLD_FIELDS}
        for field, number in clean.items():
            setattr(thresholds, field, number)
        thresholds.updated_by = actor
        thresholds.save()
        after = {f: getattr(thresholds, f) for f in THRESHOLD_FIELDS}
        if after != before:
            AuditEntry.objects.create(actor=actor, action="thresholds.update", object_type="state_thresholds",
                                      object_id="1", before=before, after=after)
    return thresholds
