"""What-if: tomorrow's coverage under a proposed standard or thresholds, by the real pipeline, rolled back.

The preview runs the same chunks as the nightly job for the day after the latest recompute inside a
transaction that is always rolled back, once with today's settings and once with the proposal, so the
difference is exactly what saving would change tomorrow. Cost grows with the number of accounts: at the
scale of a million accounts this belongs in a background job.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from django.db import transaction
from django.db.models import Count, Max, Min

from accounts.models import Account
from core.timeutil import business_today

from . import domain
from .models import Alert
from .pipeline import AccountSelection, EngineConfig, recompute_selection
from .services import latest_completed_as_of

CHUNK = 5000


@dataclass(frozen=True)
class Outcome:
    under_covered_accounts: int
    alerts_by_role: dict[str, int]


@dataclass(frozen=True)
class Preview:
    as_of: dt.date
    current: Outcome
    proposed: Outcome

    @property
    def rows(self) -> list[tuple[str, int, int, int]]:
        roles = sorted(set(self.current.alerts_by_role) | set(self.proposed.alerts_by_role))
        return [(r, self.current.alerts_by_role.get(r, 0), self.proposed.alerts_by_role.get(r, 0),
                 self.proposed.alerts_by_role.get(r, 0) - self.current.alerts_by_role.get(r, 0)) for r in roles]


class _RolledBack(Exception):
    pass


def _outcome(config: EngineConfig, as_of: dt.date) -> Outcome:
    result: Outcome | None = None
    try:
        with transaction.atomic():
            bounds = Account.objects.aggregate(lo=Min("id"), hi=Max("id"))
            if bounds["lo"] is not None:
                first = bounds["lo"]
                while first <= bounds["hi"]:
                    recompute_selection(selection=AccountSelection(first_id=first, last_id=first + CHUNK - 1),
                                        as_of=as_of, config=config)
                    first += CHUNK
            open_alerts = Alert.objects.filter(status=Alert.Status.OPEN)
            result = Outcome(
                under_covered_accounts=open_alerts.values("account_id").distinct().count(),
                alerts_by_role={row["responsible_role"]: row["n"]
                                for row in open_alerts.values("responsible_role").annotate(n=Count("id"))},
            )
            raise _RolledBack
    except _RolledBack:
        pass
    assert result is not None
    return result


def preview_tomorrow(
    *, requirements: dict[str, tuple[domain.RequirementSpec, ...]] | None = None,
    thresholds: domain.Thresholds | None = None,
) -> Preview:
    latest = latest_completed_as_of()
    as_of = (latest or business_today()) + dt.timedelta(days=1)
    current = EngineConfig.load()
    proposed = replace(current, requirements=requirements if requirements is not None else current.requirements,
                       thresholds=thresholds or current.thresholds)
    return Preview(as_of=as_of, current=_outcome(current, as_of), proposed=_outcome(proposed, as_of))
