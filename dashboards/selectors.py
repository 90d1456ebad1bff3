"""Coverage figures (coverage-rules §9)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q

from accounts.models import Account
from contacts.models import Touch
from core.choices import State
from engine.models import CoverageRow, RecomputeRun


def latest_run_as_of() -> dt.date | None:
    run = RecomputeRun.objects.filter(status=RecomputeRun.Status.COMPLETED).order_by("-as_of", "-id").first()
    return run.as_of if run else None


def coverage_figures(*, as_of: dt.date | None = None) -> dict:
    """by_state (every state, zeros included) and breadth, as of the latest recompute."""
    as_of = as_of or latest_run_as_of()
    by_state = {state: {"accounts": 0, "compliant": 0, "under_covered": 0, "grace": 0} for state in State.values}
    if as_of is None:
        return {"as_of": None, "by_state": by_state,
                "breadth": {"target_accounts": 0, "touched_30d": 0, "touched_90d": 0}}
    for row in Account.objects.exclude(state="").values("state").annotate(n=Count("id")):
        if row["state"] in by_state:
            by_state[row["state"]]["accounts"] = row["n"]
    # Per account: does it have an under_covered row, a grace row, any row?
    per_account = (
        CoverageRow.objects.values("account_id", "state")
        .annotate(
            under=Count("id", filter=Q(status="under_covered")),
            grace=Count("id", filter=Q(status="grace")),
        )
    )
    states_with_rows: dict[str, dict[str, int]] = {}
    for row in per_account:
        bucket = states_with_rows.setdefault(row["state"], {"under_covered": 0, "grace": 0, "with_rows": 0})
        bucket["with_rows"] += 1
        if row["under"]:
            bucket["under_covered"] += 1
        elif row["grace"]:
            bucket["grace"] += 1
    for state, bucket in states_with_rows.items():
        if state in by_state:
            by_state[state]["under_covered"] = bucket["under_covered"]
            by_state[state]["grace"] = bucket["grace"]
            by_state[state]["compliant"] = bucket["with_rows"] - bucket["under_covered"] - bucket["grace"]
    targets = Account.objects.exclude(state__in=["", State.OUT_OF_SCOPE])

    def touched(days: int) -> int:
        start = as_of - dt.timedelta(days=days - 1)
        recent = Touch.objects.filter(account_id=OuterRef("pk"), occurred_on__gte=start, occurred_on__lte=as_of)
        return targets.filter(Exists(recent)).count()

    breadth = {"target_accounts": targets.count(), "touched_30d": touched(30), "touched_90d": touched(90)}
    return {"as_of": as_of.isoformat(), "by_state": by_state, "breadth": breadth}
