"""A small night's worth of varied accounts, built the same way as often as asked, and what a night leaves behind
keyed by external ids — so a disturbed night (a failing account, a lost connection) can be compared with an
undisturbed one on an identical dataset built again after `wipe`."""

from __future__ import annotations

import datetime as dt
import random

from accounts.models import Account, Lead, Opportunity
from contacts.models import Touch
from core.choices import Role
from dashboards.models import DailySnapshot
from engine.models import PendingAccount, RecomputeRun
from engine.tallies import fold_changes
from handoffs.models import Handoff
from segments.models import StateTransition
from tests.factories import UserFactory

D = dt.date(2026, 7, 20)
# The won deal that marks the account a test makes fail (no other account has a deal won on this day).
MARKED_WON_ON = dt.date(2026, 7, 3)


def seed_configuration() -> None:
    """The default states, standards and handoff rules the migrations load, loaded again (each get_or_create): a
    transactional test cannot count on them, a flush by an earlier one removes them."""
    from importlib import import_module

    from django.apps import apps

    for module in ("segments.migrations.0002_default_segments", "standards.migrations.0002_default_standards",
                   "handoffs.migrations.0002_default_rules"):
        import_module(module).load(apps, None)


def owners() -> dict[str, object]:
    return {"owner_sales": UserFactory(username="night-sales", role=Role.SALES),
            "owner_csm": UserFactory(username="night-csm", role=Role.CSM),
            "owner_inside_sales": UserFactory(username="night-is", role=Role.INSIDE_SALES)}


def build(*, accounts: int = 24, seed: int = 7, marked: str | None = None) -> None:
    """`accounts` accounts with deals, leads and touches drawn from `seed`: the same data every time. The account
    whose external id is `marked` gets a deal won on MARKED_WON_ON as well."""
    rng = random.Random(seed)
    people = owners()
    for i in range(accounts):
        external_id = f"N{i:03d}"
        account = Account.objects.create(external_id=external_id, name=f"Night {i}", is_target=rng.random() < 0.5,
                                         **{k: v for k, v in people.items() if rng.random() < 0.8})
        for j in range(rng.randint(0, 2)):
            opened = D - dt.timedelta(days=rng.randint(1, 400))
            won = rng.random() < 0.5
            closed = opened + dt.timedelta(days=rng.randint(5, 60)) if won else None
            if closed is not None and (closed > D or closed == MARKED_WON_ON):
                closed = D - dt.timedelta(days=1)
            Opportunity.objects.create(
                external_id=f"{external_id}-O{j}", account=account, opened_on=opened, closed_on=closed,
                status="won" if won else "open", amount=rng.randint(0, 5_000_000),
                contract_end=closed + dt.timedelta(days=365) if closed else None)
        if external_id == marked:
            Opportunity.objects.create(external_id=f"{external_id}-M", account=account, opened_on=D - dt.timedelta(days=60),
                                       closed_on=MARKED_WON_ON, status="won", contract_end=D + dt.timedelta(days=300))
        for j in range(rng.randint(0, 2)):
            Lead.objects.create(external_id=f"{external_id}-L{j}", account=account,
                                created_on=D - dt.timedelta(days=rng.randint(0, 60)), status="open",
                                score=rng.choice([20, 50, 90]))
        for j in range(rng.randint(0, 4)):
            day = D - dt.timedelta(days=rng.randint(0, 120))
            Touch.objects.create(account=account, external_id=f"{external_id}-T{j}",
                                 kind=rng.choice(["human", "digital"]),
                                 performer_role=rng.choice([Role.SALES, Role.CSM, Role.INSIDE_SALES]),
                                 occurred_on=day, occurred_at=dt.datetime.combine(day, dt.time(3), tzinfo=dt.timezone.utc))


def snapshot(*, leave_out: frozenset[str] = frozenset()) -> dict[str, list]:
    """What the nights left, keyed by the accounts' external ids (database ids differ between two builds); the
    accounts in `leave_out` are left out."""
    from engine.models import AccountEvaluation, Alert, CoverageRow

    def rows(queryset, *fields):
        return sorted(r for r in queryset.values_list("account__external_id", *fields) if r[0] not in leave_out)

    return {
        "accounts": sorted(r for r in Account.objects.values_list(
            "external_id", "state", "state_since", "state_initial", "state_as_of", "icp_fit") if r[0] not in leave_out),
        "coverage": rows(CoverageRow.objects, "requirement", "state", "counted", "gap", "status", "last_touch_on",
                         "due_on", "responsible_role", "assignee__username", "as_of"),
        "alerts": rows(Alert.objects, "state", "requirement", "status", "opened_on", "resolved_on", "resolution",
                       "changed_on", "gap", "counted", "assignee__username", "fell_due_on", "deal_amount"),
        "transitions": rows(StateTransition.objects, "as_of", "from_state", "to_state", "rule"),
        "handoffs": rows(Handoff.objects, "created_on", "from_state", "to_state", "status", "assignee__username"),
        "evaluations": rows(AccountEvaluation.objects, "due_on", "state", "coverage", "last_touch_on", "after_night"),
    }


def wipe() -> None:
    """Every account and what the nights made of them, and the runs: the database as before `build`."""
    Handoff.objects.all().delete()
    StateTransition.objects.all().delete()
    Account.objects.all().delete()  # their coverage rows, alerts, evaluations, deals, leads and touches with them
    PendingAccount.objects.all().delete()
    RecomputeRun.objects.all().delete()
    DailySnapshot.objects.all().delete()
    fold_changes()


def change(*, on: dt.date, every: int = 3) -> None:
    """Data written between two nights, the same on every build: a touch for every `every`-th account and a hot
    lead for the one after it."""
    for n, account in enumerate(Account.objects.order_by("external_id")):
        if n % every == 0:
            Touch.objects.create(account=account, external_id=f"{account.external_id}-C{on}", kind="human",
                                 performer_role=Role.SALES, occurred_on=on,
                                 occurred_at=dt.datetime.combine(on, dt.time(3), tzinfo=dt.timezone.utc))
        elif n % every == 1:
            Lead.objects.create(external_id=f"{account.external_id}-CL{on}", account=account, created_on=on,
                                status="open", score=90)
