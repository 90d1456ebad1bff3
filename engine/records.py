"""The rows a nightly chunk reads and writes, as named tuples: each record's field order is defined once, here, and
the column lists of the statements that read or write it are derived from its `_fields`.

Named tuples rather than dataclasses: the chunk makes a few of them per account and per requirement, and a named
tuple is made in a fraction of a dataclass's time, compares equal to the plain tuple a cursor returns, and is read
by name at the cost of an index.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from typing import NamedTuple, TypeVar

Record = TypeVar("Record", bound=tuple)


def row_maker(record: type[Record]) -> Callable[[Iterable], Record]:
    """A constructor of `record` from an iterable of its fields in order, for rows read by the thousand: the tuple
    is made in C, without the Python frame of the record's own constructor or of `_make` (half the time, and a
    chunk makes a few per account). Only for values whose order is the record's, e.g. a SELECT list in it."""
    return functools.partial(tuple.__new__, record)


class AccountRow(NamedTuple):
    """An account as a chunk reads it (engine.statements.read_accounts): its stored columns, then its new ICP fit."""

    id: int
    state: str
    state_since: dt.date | None
    state_initial: bool
    is_target: bool
    icp_fit: int
    icp_profile_id: int | None
    icp_tier: str
    owner_csm_id: int | None
    owner_sales_id: int | None
    owner_inside_sales_id: int | None
    owner_marketing_id: int | None
    owner_executive_id: int | None
    icp_matched: str | None  # the stored matched criteria, as JSON text
    # The new fit, as the fit SQL computed it; all None for an account the SQL might read differently, which
    # best_fit scores in Python (engine.pipeline._read_accounts).
    new_fit: int | None
    new_profile_id: int | None
    new_tier: str | None
    new_matched: str | None  # JSON text ("[0,2]")


# The account columns a statement reads (the rest of AccountRow is computed), and where each owner's id sits.
ACCOUNT_COLUMNS = AccountRow._fields[:AccountRow._fields.index("icp_matched")]
OWNER_FIELDS = ("owner_csm_id", "owner_sales_id", "owner_inside_sales_id", "owner_marketing_id", "owner_executive_id")
OWNER_INDEX = {f: AccountRow._fields.index(f) for f in OWNER_FIELDS}


class AccountUpdate(NamedTuple):
    """What the pipeline rewrites on an account whose state or fit moved (core.bulk.bulk_update_rows: id first)."""

    id: int
    state: str
    state_since: dt.date
    state_initial: bool
    state_as_of: dt.date
    icp_fit: int
    icp_profile_id: int | None
    icp_tier: str
    icp_matched: list[int]


ACCOUNT_UPDATE_FIELDS = tuple(f.removesuffix("_id") for f in AccountUpdate._fields[1:])


class DealFacts(NamedTuple):
    """An account's deals as of D, aggregated (engine.statements.deal_facts; docs/rules.md §2)."""

    first_won_on: dt.date | None
    won_count: int
    latest_won_on: dt.date | None
    latest_contract_end: dt.date | None
    open_deals: int
    open_amount: int
    next_dated_on: dt.date | None  # the first date after D on which a deal opens or closes


NO_DEALS = DealFacts(None, 0, None, None, 0, 0, None)


class LeadFacts(NamedTuple):
    """An account's leads as of D, aggregated (engine.statements.lead_facts; docs/rules.md §2)."""

    open_leads: int
    max_open_score: int | None
    next_dated_on: dt.date | None  # the first date after D on which a lead is created or closed


NO_LEADS = LeadFacts(0, None, None)


class TouchDates(NamedTuple):
    """An account's latest touch of any kind on or before D, and its earliest after D (statements.touch_dates)."""

    latest_on: dt.date | None
    next_on: dt.date | None


NO_TOUCH_DATES = TouchDates(None, None)


class TouchCounts(NamedTuple):
    """The touches that count for one (account, requirement) as of D (engine.statements.touch_counts; §4)."""

    counted: int  # within the window
    nth_recent_on: dt.date | None  # the min_count-th most recent counting date, None when fewer
    latest_on: dt.date | None  # the latest matching touch on or before D, in the window or not
    oldest_in_window_on: dt.date | None


NO_TOUCHES = TouchCounts(0, None, None, None)


class CoverageValues(NamedTuple):
    """The compared and written columns of an engine.CoverageRow, one per (account, requirement)."""

    state: str
    kind: str
    min_count: int
    window_days: int
    counted: int
    gap: int
    status: str
    last_touch_on: dt.date | None
    due_on: dt.date | None
    responsible_role: str
    assignee_id: int | None


COVERAGE_VALUE_FIELDS = CoverageValues._fields
# A stored coverage row as engine.statements.coverage_rows reads it: its id and key, then CoverageValues.
STORED_COVERAGE_FIELDS = ("id", "account_id", "requirement", *COVERAGE_VALUE_FIELDS)


class EvaluationRow(NamedTuple):
    """An account's engine.AccountEvaluation (engine.statements.write_evaluations adds `after_night`)."""

    account_id: int
    due_on: dt.date | None
    state: str
    coverage: str
    last_touch_on: dt.date | None


EVALUATION_WRITTEN = (*EvaluationRow._fields, "after_night")


class AlertValues(NamedTuple):
    """The columns of an open alert the pipeline rewrites when they moved (Today's priority parts)."""

    gap: int
    counted: int
    assignee_id: int | None
    responsible_role: str
    state_weight: int
    fell_due_on: dt.date
    icp_fit: int
    deal_amount: int


ALERT_VALUE_FIELDS = AlertValues._fields


# An open alert as the pipeline reads it (engine.statements.open_alert_rows): its key and opening date, then its
# AlertValues.
OpenAlertRow = NamedTuple("OpenAlertRow", [
    ("id", int), ("account_id", int), ("state", str), ("requirement", str), ("opened_on", dt.date),
    *AlertValues.__annotations__.items(),
])


OPEN_ALERT_FIELDS = OpenAlertRow._fields
OPEN_ALERT_VALUES = slice(OpenAlertRow._fields.index("gap"), None)  # row[OPEN_ALERT_VALUES]: its AlertValues
# A new alert's columns (the others stay empty until it is acknowledged, snoozed or resolved).
NEW_ALERT_FIELDS = ("account_id", "state", "requirement", "status", "resolution", "opened_on", "changed_on",
                    *ALERT_VALUE_FIELDS)


def earliest(*days: dt.date | None) -> dt.date | None:
    """The earliest of the dates given, None when none is. (A plain loop: called for every account of a chunk.)"""
    first = None
    for day in days:
        if day is not None and (first is None or day < first):
            first = day
    return first
