"""The funnel and its movement, kept per night (docs/rules.md §3): written once, set-based, when a run completes
(`funnel_snapshot_write`, called by engine.services.recompute_run_finish), read from the kept rows only
(`funnel_figures`) — never counted again from accounts or transitions.

Funnel (FunnelSnapshot): the accounts of each state on a night, in lifecycle order (FUNNEL_ORDER: from a target
without lead to a loyal customer, then churned; OUT_OF_SCOPE is off the funnel and counted apart).

Movement (MovementSnapshot): the state transitions dated in a period [from, to], both included, per (from state,
to state) — a move, not an initial classification (§3). Each night rewrites the transitions dated from the previous
completed night to its own date, so a transition a logged touch made during the day after a night is kept by the
next night. An account that made the same move twice in the period counts twice.

Who and where: an account (or a move) is kept per distinct owner (any owner column, as the accounts list's `owner`
filter matches) with the owner's team, and per region, with the account's industry and ICP tier as the night found
them. Flags pick each account once: a figure for everyone reads `first_owner` rows, a team's figure the
`first_in_team` rows of that team, an owner's figure that owner's rows; a region's figure that region's rows,
others the `first_region` rows. A rep reads their team's figures (their own without a team; dashboards.filtering).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from accounts.models import Account
from core.bulk import bulk_insert_rows, date_param, date_sql
from core.dbsettings import settings_for_block
from core.choices import OWNER_ROLES, State
from core.models import User
from engine.models import AccountEvaluation, RecomputeRun
from engine.statements import as_date
from segments.models import StateTransition

from .filtering import DashboardFilters, FilterError
from .models import FunnelSnapshot, MovementSnapshot
from .selectors import kept_night, kept_nights
from .snapshot_keys import regions_of

# Lifecycle order: a target becomes a lead, a better lead, a deal, a new customer, an established one; a customer
# that stops buying churns. OUT_OF_SCOPE is no step of it.
FUNNEL_ORDER: tuple[str, ...] = (
    State.TARGET_NO_LEAD, State.LEAD, State.HIGH_POTENTIAL_LEAD, State.HOT_LEAD, State.NEGOTIATION,
    State.ONBOARDING, State.ACTIVE, State.LOYAL, State.CHURNED,
)
LIFECYCLE = {state: i for i, state in enumerate((*FUNNEL_ORDER, State.OUT_OF_SCOPE))}
DEFAULT_PERIOD_DAYS = 30  # without from/to: the 30 days to the night, the night included
MAX_PERIOD_DAYS = 731  # at most two years (a leap year included) in one request


# --- writing, once per completed night ------------------------------------------------------------------------------

def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _every(conditions: Sequence[str]) -> str:
    return " AND ".join(conditions) or "1 = 1"


def _each_column(values: Sequence[str], otherwise: str) -> str:
    return "CASE k.i " + " ".join(f"WHEN {i} THEN {v}" for i, v in enumerate(values)) + f" ELSE {otherwise} END"


def by_owner_sql(inner: str, keys: Sequence[str], *, ctes: str = "") -> str:
    """`inner` gives rows of `keys`, the five owner columns as o0 … o4 and a count `n`. The statement puts each row on
    one row per distinct owner (in the owner columns' order; one row without owner when it has none) with the
    owner's team and the flags first_owner and first_in_team — what snapshot_keys.owner_rows does per account — and
    sums `n` per (keys, owner, team, flags): the rows coming back are bounded by the people, not by the accounts."""
    owners = [f"g.o{i}" for i in range(len(OWNER_ROLES))]
    teams = [f"COALESCE(u{i}.team, '')" for i in range(len(owners))]
    keep = [_every([f"{o} IS NOT NULL", *(f"({owners[j]} IS NULL OR {owners[j]} <> {o})" for j in range(i))])
            for i, o in enumerate(owners)]
    first = [_every([f"{owners[j]} IS NULL" for j in range(i)]) for i in range(len(owners))]
    in_team = [_every([f"({owners[j]} IS NULL OR {teams[j]} <> {teams[i]})" for j in range(i)])
               for i in range(len(owners))]
    joins = " ".join(f"LEFT JOIN {User._meta.db_table} u{i} ON u{i}.id = {o}" for i, o in enumerate(owners))
    nobody = _flag(_every([f"{o} IS NULL" for o in owners]))
    positions = ", ".join(str(i) for i in range(1, len(keys) + 5))
    return (f"WITH {ctes}{', ' if ctes else ''}k(i) AS (VALUES {', '.join(f'({i})' for i in range(len(owners) + 1))}) "
            f"SELECT {', '.join(f'g.{key}' for key in keys)}, {_each_column(owners, 'NULL')}, "
            f"{_each_column(teams, repr(''))}, {_each_column([_flag(c) for c in first], '1')}, "
            f"{_each_column([_flag(c) for c in in_team], '1')}, SUM(g.n) "
            f"FROM ({inner}) g {joins} CROSS JOIN k "
            f"WHERE {_each_column([_flag(c) for c in keep], nobody)} = 1 GROUP BY {positions}")


def kept_by_place(rows: Iterable[tuple], prefix: int) -> dict[tuple, int]:
    """by_owner_sql's rows over (prefix keys…, industry, tier, regions) as snapshot keys, one per region: (prefix…,
    owner, team, industry, region, tier, first_owner, first_in_team, first_region) → count."""
    kept: dict[tuple, int] = defaultdict(int)
    for row in rows:
        industry, tier, regions, owner, team, first_owner, first_in_team, n = row[prefix:]
        for position, region in enumerate(regions_of(regions)):
            kept[(*row[:prefix], owner, (team or "")[:100], (industry or "")[:100], region, (tier or "")[:1],
                  bool(first_owner), bool(first_in_team), position == 0)] += int(n)
    return kept


REGIONS_TEXT = "CAST(a.regions AS TEXT) AS regions"  # grouped as text: cheaper to compare than JSON
OWNERS_AS = ", ".join(f"a.owner_{role}_id AS o{i}" for i, role in enumerate(OWNER_ROLES))
PLACE_KEYS = ("industry", "icp_tier", "regions")
FUNNEL_COLUMNS = ("as_of", "state", "owner_id", "team", "industry", "region", "icp_tier", "first_owner",
                  "first_in_team", "first_region", "accounts")
MOVEMENT_COLUMNS = ("as_of", "from_state", "to_state", "owner_id", "team", "industry", "region", "icp_tier",
                    "first_owner", "first_in_team", "first_region", "moves")


def room_to_group(cursor):
    """PostgreSQL: room to group a night's rows per person in memory, no JIT for the big CASEs, for the statements
    inside only (core.dbsettings) — the figures' transaction goes on with its own settings after it."""
    return settings_for_block(cursor, work_mem="256MB", jit="off")


def _funnel_rows(as_of: dt.date) -> list[tuple]:
    inner = (f"SELECT e.state, a.industry, a.icp_tier, {REGIONS_TEXT}, {OWNERS_AS}, 1 AS n "
             f"FROM {AccountEvaluation._meta.db_table} e JOIN {Account._meta.db_table} a ON a.id = e.account_id")
    with connection.cursor() as cursor, room_to_group(cursor):
        cursor.execute(by_owner_sql(inner, ("state", *PLACE_KEYS)))
        rows = cursor.fetchall()
    return [(as_of, *key, n) for key, n in kept_by_place(rows, 1).items()]


def _movement_rows(start: dt.date | None, end: dt.date) -> list[tuple]:
    since = f"t.as_of >= {date_sql()} AND " if start else ""
    inner = (f"SELECT t.as_of, t.from_state, t.to_state, a.industry, a.icp_tier, {REGIONS_TEXT}, {OWNERS_AS}, "
             f"1 AS n "
             f"FROM {StateTransition._meta.db_table} t JOIN {Account._meta.db_table} a ON a.id = t.account_id "
             f"WHERE {since}t.as_of <= {date_sql()} AND t.from_state <> ''")
    with connection.cursor() as cursor, room_to_group(cursor):
        cursor.execute(by_owner_sql(inner, ("as_of", "from_state", "to_state", *PLACE_KEYS)),
                       [date_param(day) for day in (start, end) if day])
        rows = cursor.fetchall()
    return [(as_date(key[0]), *key[1:], n) for key, n in kept_by_place(rows, 3).items()]


def movement_start(as_of: dt.date) -> dt.date | None:
    """The first date a night rewrites: the previous night whose figures were kept (transitions made during its day
    included; a night superseded before its figures were kept is covered by the next); None — every date up to the
    night — when nothing is kept yet."""
    if not MovementSnapshot.objects.exists():
        return None
    previous = kept_nights().filter(as_of__lt=as_of).order_by("-as_of").values_list("as_of", flat=True).first()
    return previous or as_of


def funnel_snapshot_write(*, as_of: dt.date) -> tuple[int, int, int]:
    """Keep the night's funnel, the moves dated since the previous night and the night's content mix
    (dashboards.content_mix); a rerun for the same date replaces them. Three GROUP BY statements whatever the number
    of accounts. Returns (funnel rows, movement rows, content mix rows)."""
    from .content_mix import content_mix_snapshot_write  # it reads this module's people and flags

    start = movement_start(as_of)
    with transaction.atomic():
        FunnelSnapshot.objects.filter(as_of=as_of).delete()
        stale = MovementSnapshot.objects.filter(as_of__lte=as_of)
        (stale.filter(as_of__gte=start) if start else stale).delete()
        funnel = bulk_insert_rows(FunnelSnapshot, FUNNEL_COLUMNS, _funnel_rows(as_of))
        movement = bulk_insert_rows(MovementSnapshot, MOVEMENT_COLUMNS, _movement_rows(start, as_of))
        mix = content_mix_snapshot_write(as_of=as_of)
    return funnel, movement, mix


# --- reading --------------------------------------------------------------------------------------------------------

def narrow(rows: QuerySet, f: DashboardFilters, *, places: bool = True) -> QuerySet:
    """The kept rows of what `f` selects, each account once (the flags above): people by the chosen owner, the
    chosen team or the viewer's scope; places by industry, region and ICP tier."""
    scope = f.scope
    if f.owner is not None:
        rows = rows.filter(owner_id=f.owner, **({"team": f.team} if f.team else {}))
    elif f.team or not scope.everyone and scope.team:
        rows = rows.filter(team=f.team or scope.team, first_in_team=True)
    elif not scope.everyone:
        rows = rows.filter(owner_id=scope.user_id)
    else:
        rows = rows.filter(first_owner=True)
    return narrow_places(rows, f) if places else rows


def narrow_places(rows: QuerySet, f: DashboardFilters) -> QuerySet:
    """Kept rows (KeptPlaces) of the filter's industry, ICP tier and region; without a region, each account's
    first-region row only (counted once)."""
    if f.industry:
        rows = rows.filter(industry__iexact=f.industry)
    if f.icp_tier:
        rows = rows.filter(icp_tier=f.icp_tier)
    return rows.filter(region__iexact=f.region) if f.region else rows.filter(first_region=True)


def completed_night(as_of: dt.date | None) -> dt.date | None:
    """The night asked for (its figures must be kept: FilterError naming `as_of` otherwise), or the latest night
    whose figures are kept (None before the first; dashboards.night_figures)."""
    night = kept_night(as_of)
    if as_of is not None and night is None:
        completed = RecomputeRun.objects.filter(as_of=as_of, status=RecomputeRun.Status.COMPLETED).exists()
        message = (_("The figures of the night of %(day)s are not kept yet: they are counted after the night.")
                   if completed else _("No night completed on %(day)s."))
        raise FilterError({"as_of": [message % {"day": as_of.isoformat()}]})
    return night


def movement_period(f: DashboardFilters, night: dt.date | None) -> tuple[dt.date, dt.date] | None:
    """[from, to] as given; without `to` the night, without `from` the 30 days to `to`. At most MAX_PERIOD_DAYS."""
    end = f.date_to or night
    if end is None:
        return None
    start = f.date_from or end - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if start > end:
        raise FilterError({"from": [_("The period must start on or before its end (from ≤ to).")]})
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise FilterError({"from": [_("The period is at most %(days)s days long.") % {"days": MAX_PERIOD_DAYS}]})
    return start, end


@dataclass
class FunnelFigures:
    """A night's funnel (every state of FUNNEL_ORDER, zeros included, with the moves into and out of it in the
    period) and the period's moves per (from, to), most first."""

    as_of: dt.date | None
    start: dt.date | None
    end: dt.date | None
    filters: DashboardFilters
    latest: bool = False  # the night is the latest completed one: the accounts list shows its states
    funnel: list[dict] = field(default_factory=list)
    out_of_scope: int = 0
    movement: list[dict] = field(default_factory=list)

    @property
    def total_moves(self) -> int:
        return sum(row["moves"] for row in self.movement)

    def as_json(self) -> dict:
        return {"as_of": _iso(self.as_of), "scope": self.filters.scope.name,
                "period": {"from": _iso(self.start), "to": _iso(self.end)},
                "funnel": self.funnel, "out_of_scope": self.out_of_scope,
                "movement": self.movement, "total_moves": self.total_moves}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _funnel(figures: FunnelFigures) -> None:
    kept = narrow(FunnelSnapshot.objects.filter(as_of=figures.as_of), figures.filters)
    counts = dict(kept.values_list("state").annotate(n=Sum("accounts")).order_by())
    entered, left = defaultdict(int), defaultdict(int)
    for row in figures.movement:
        entered[row["to_state"]] += row["moves"]
        left[row["from_state"]] += row["moves"]
    figures.funnel = [{"state": state, "accounts": counts.get(state, 0), "entered": entered[state],
                       "left": left[state]} for state in FUNNEL_ORDER]
    figures.out_of_scope = counts.get(State.OUT_OF_SCOPE, 0)


def _movement(figures: FunnelFigures) -> None:
    kept = narrow(MovementSnapshot.objects.filter(as_of__range=(figures.start, figures.end)), figures.filters)
    rows = kept.values_list("from_state", "to_state").annotate(n=Sum("moves")).order_by()
    figures.movement = sorted(({"from_state": a, "to_state": b, "moves": n} for a, b, n in rows if n),
                              key=lambda r: (-r["moves"], LIFECYCLE.get(r["from_state"], 99),
                                             LIFECYCLE.get(r["to_state"], 99)))


def funnel_figures(f: DashboardFilters) -> FunnelFigures:
    """The funnel of the night `f.as_of` (the latest by default) and the moves of the period `f.date_from` …
    `f.date_to`, for what `f` and its scope select. Two queries over kept rows (and two for the night). Raises
    FilterError for a night that did not complete or a period that cannot be read."""
    if f.state:
        raise FilterError({"state": [_("The funnel shows every state: it takes no state filter.")]})
    latest = completed_night(None)
    night = completed_night(f.as_of) if f.as_of else latest
    period = movement_period(f, night)
    figures = FunnelFigures(as_of=night, start=period and period[0], end=period and period[1], filters=f,
                            latest=night is not None and night == latest)
    if night is None:
        return figures
    _movement(figures)
    _funnel(figures)
    return figures
