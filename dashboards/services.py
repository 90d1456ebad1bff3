from __future__ import annotations

import datetime as dt

from .models import DailySnapshot
from .selectors import coverage_figures


def snapshot_write(*, as_of: dt.date, figures: dict | None = None) -> DailySnapshot:
    """Keep the day's figures (computed now unless given) for trends; a rerun for the same date overwrites them."""
    figures = figures or coverage_figures(as_of=as_of)
    snapshot, _created = DailySnapshot.objects.update_or_create(
        as_of=as_of, defaults={"by_state": figures["by_state"], "breadth": figures["breadth"]}
    )
    return snapshot
