"""Under-coverage built the way the engine records it (one CoverageRow + one open Alert per key).

Used where a test needs a particular ordering fact (days overdue, gap, …) that would take
months of touches to produce through a recompute; flows end-to-end use the real engine.
"""

from __future__ import annotations

import datetime as dt

from core.choices import Role, State
from engine import domain
from engine.models import Alert, CoverageRow
from tests.factories import AccountFactory


def under_covered(
    *, account=None, assignee=None, state: str = State.NEGOTIATION, requirement: str = "human", kind: str = "human",
    min_count: int = 1, window_days: int = 7, counted: int = 0, last_touch_on: dt.date | None = None,
    opened_on: dt.date = dt.date(2026, 7, 1), as_of: dt.date = dt.date(2026, 7, 10), role: str = Role.SALES,
    deal_amount: int = 0, **account_fields,
) -> Alert:
    """An open alert with its coverage row, its priority parts filled as the pipeline fills them."""
    if account is None:
        account = AccountFactory(state=state, **account_fields)
    gap = max(0, min_count - counted)
    CoverageRow.objects.create(
        account=account, state=state, requirement=requirement, kind=kind, min_count=min_count, window_days=window_days,
        counted=counted, gap=gap, status="under_covered", last_touch_on=last_touch_on, due_on=None,
        responsible_role=role, assignee=assignee, as_of=as_of,
    )
    return Alert.objects.create(
        account=account, state=state, requirement=requirement, opened_on=opened_on, changed_on=as_of,
        responsible_role=role, assignee=assignee, gap=gap, counted=counted,
        state_weight=domain.state_weight(state),
        fell_due_on=domain.fell_due_on(last_touch_on=last_touch_on, window_days=window_days, opened_on=opened_on),
        icp_fit=account.icp_fit or 0, deal_amount=deal_amount,
    )
