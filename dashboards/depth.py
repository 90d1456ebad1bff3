"""Coverage depth and breadth kept per night (docs/rules.md §4, §9): written once, set-based, when a run completes
(`depth_snapshot_write`, called by engine.services.recompute_run_finish), and read from the kept rows only
(`depth_figures`) — never counted again from accounts, coverage rows or touches.

Depth (DepthSnapshot), per (state, responsible role, owner, the owner's team): an account counts once per
responsible role of its state's requirements — `under_covered` when one of that role's requirements is
under-covered, else `grace` when one is in grace, else `compliant` (the account classes of §9, per role). Touches:
`touches_required` = Σ n, `touches_done` = Σ min(c, n), `human_touches` / `digital_touches` = Σ c of the human /
digital requirements (a touch counting for two requirements counts twice).

Breadth (BreadthSnapshot), per (state, industry, region, ICP tier) and per owner with the owner's team, as
dashboards.funnel keeps people (one row per distinct owner, flags that pick each account once): accounts, their
coverage class (§9) and those touched within the last 30 / 90 days. Target accounts are those not OUT_OF_SCOPE (§9).
Read through dashboards.funnel.narrow, breadth is a team's, an owner's or the viewer's scope's like every figure.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction

from accounts.models import Account
from contacts.models import Touch
from core.bulk import bulk_insert_rows, date_param, date_sql
from core.choices import Role, State
from core.models import User
from engine.models import AccountEvaluation, CoverageRow

from .filtering import TIERS, DashboardFilters  # noqa: F401 (TIERS: the depth API's enum)
from .funnel import (OWNERS_AS, PLACE_KEYS, REGIONS_TEXT, by_owner_sql, completed_night, kept_by_place,
                     room_to_group)
from .models import BreadthSnapshot, DepthSnapshot
from .selectors import filtered_breadth_rows, kept_nights, scoped_depth_rows

DEPTH_SUMS = ("accounts", "compliant", "under_covered", "grace", "touches_required", "touches_done",
              "human_touches", "digital_touches")
BREADTH_SUMS = ("accounts", "compliant", "under_covered", "grace", "touched_30d", "touched_90d")


# --- writing, once per completed night ----------------------------------------------------------------------------

def _depth_sql() -> str:
    """One INSERT … SELECT: coverage rows per (account, role), then per (state, role, owner, team)."""
    return (
        f"INSERT INTO {DepthSnapshot._meta.db_table} (as_of, state, responsible_role, owner_id, team, accounts, "
        f"compliant, under_covered, grace, touches_required, touches_done, human_touches, digital_touches) "
        f"SELECT {date_sql()}, a.state, a.responsible_role, a.assignee_id, COALESCE(u.team, ''), COUNT(*), "
        f"SUM(CASE WHEN a.uc = 0 AND a.gr = 0 THEN 1 ELSE 0 END), SUM(a.uc), "
        f"SUM(CASE WHEN a.uc = 0 THEN a.gr ELSE 0 END), SUM(a.req), SUM(a.done), SUM(a.hum), SUM(a.dig) "
        f"FROM (SELECT account_id, state, responsible_role, assignee_id, "
        f"MAX(CASE WHEN status = 'under_covered' THEN 1 ELSE 0 END) AS uc, "
        f"MAX(CASE WHEN status = 'grace' THEN 1 ELSE 0 END) AS gr, SUM(min_count) AS req, "
        f"SUM(CASE WHEN counted < min_count THEN counted ELSE min_count END) AS done, "
        f"SUM(CASE WHEN kind = 'human' THEN counted ELSE 0 END) AS hum, "
        f"SUM(CASE WHEN kind = 'digital' THEN counted ELSE 0 END) AS dig "
        f"FROM {CoverageRow._meta.db_table} GROUP BY account_id, state, responsible_role, assignee_id) a "
        f"LEFT JOIN {User._meta.db_table} u ON u.id = a.assignee_id "
        f"GROUP BY a.state, a.responsible_role, a.assignee_id, COALESCE(u.team, '')")


BREADTH_COLUMNS = ("as_of", "state", "owner_id", "team", "industry", "region", "icp_tier", "first_owner",
                   "first_in_team", "first_region", *BREADTH_SUMS)


def _breadth_groups(as_of: dt.date) -> list[tuple]:
    """Accounts per (state, coverage class, touched within 30, within 90 days, industry, tier, regions) and per owner
    with the owner's team and flags (dashboards.funnel.by_owner_sql): one GROUP BY over evaluations and accounts. A
    latest touch after D (an evaluation made after the night) is looked up in the touches up to D, for those
    accounts only."""
    day = date_sql()
    touch = Touch._meta.db_table

    def touched(days: int) -> tuple[str, list]:
        start, end = date_param(as_of - dt.timedelta(days=days - 1)), date_param(as_of)
        sql = (f"CASE WHEN e.last_touch_on > {day} THEN (CASE WHEN EXISTS (SELECT 1 FROM {touch} t "
               f"WHERE t.account_id = e.account_id AND t.occurred_on BETWEEN {day} AND {day}) THEN 1 ELSE 0 END) "
               f"WHEN e.last_touch_on BETWEEN {day} AND {day} THEN 1 ELSE 0 END")
        return sql, [end, start, end, start, end]

    t30, p30 = touched(30)
    t90, p90 = touched(90)
    inner = (f"SELECT e.state, e.coverage, {t30} AS t30, {t90} AS t90, a.industry, a.icp_tier, {REGIONS_TEXT}, "
             f"{OWNERS_AS}, 1 AS n "
             f"FROM {AccountEvaluation._meta.db_table} e JOIN {Account._meta.db_table} a ON a.id = e.account_id")
    with connection.cursor() as cursor, room_to_group(cursor):
        cursor.execute(by_owner_sql(inner, ("state", "coverage", "t30", "t90", *PLACE_KEYS)), [*p30, *p90])
        return cursor.fetchall()


def _breadth_rows(as_of: dt.date) -> list[tuple]:
    """The night's breadth rows (BREADTH_COLUMNS): the groups summed per (state, people, place, flags)."""
    rows: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BREADTH_SUMS, 0))
    for (state, coverage, t30, t90, *key), n in kept_by_place(_breadth_groups(as_of), 4).items():
        row = rows[(state, *key)]
        row["accounts"] += n
        if coverage in ("compliant", "under_covered", "grace"):
            row[coverage] += n
        row["touched_30d"] += n if t30 else 0
        row["touched_90d"] += n if t90 else 0
    return [(as_of, *key, *(sums[name] for name in BREADTH_SUMS)) for key, sums in rows.items()]


def depth_snapshot_write(*, as_of: dt.date) -> tuple[int, int]:
    """Keep the night's depth and breadth rows; a rerun for the same date replaces that date's rows. Two GROUP BY
    statements whatever the number of accounts (the breadth rows they give are bounded by the people and places,
    inserted in batches). Returns (depth rows, breadth rows)."""
    with transaction.atomic():
        DepthSnapshot.objects.filter(as_of=as_of).delete()
        BreadthSnapshot.objects.filter(as_of=as_of).delete()
        with connection.cursor() as cursor:
            cursor.execute(_depth_sql(), [date_param(as_of)])
        breadth = bulk_insert_rows(BreadthSnapshot, BREADTH_COLUMNS, _breadth_rows(as_of))
    return DepthSnapshot.objects.filter(as_of=as_of).count(), breadth


# --- reading ---------------------------------------------------------------------------------------------------------

def completed_nights(limit: int = 60) -> list[dt.date]:
    """The latest nights whose figures are kept, newest first (for the night picker)."""
    days = kept_nights().order_by("-as_of").values_list("as_of", flat=True).distinct()[:limit]
    return list(days)


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _finish(key: dict, sums: dict) -> dict:
    """A table row: its key, its sums, and the rates read off them."""
    row = {**key, **sums}
    row["compliance_rate"] = rate(sums["compliant"], sums["compliant"] + sums["under_covered"] + sums["grace"])
    if "touches_required" in sums:
        row["touches_done_rate"] = rate(sums["touches_done"], sums["touches_required"])
        row["human_share"] = rate(sums["human_touches"], sums["human_touches"] + sums["digital_touches"])
    else:
        row["touched_30d_rate"] = rate(sums["touched_30d"], sums["accounts"])
        row["touched_90d_rate"] = rate(sums["touched_90d"], sums["accounts"])
    return row


def _group(rows: list[dict], keys: tuple[str, ...], sums: tuple[str, ...], *, only=None) -> list[dict]:
    grouped: dict[tuple, dict[str, int]] = {}
    for r in rows:
        if only is not None and not only(r):
            continue
        totals = grouped.setdefault(tuple(r[k] for k in keys), dict.fromkeys(sums, 0))
        for name in sums:
            totals[name] += r[name]
    return [_finish(dict(zip(keys, key)), totals) for key, totals in grouped.items()]


@dataclass
class DepthFigures:
    as_of: dt.date | None
    filters: DashboardFilters
    everyone: bool
    by_role: list[dict] = field(default_factory=list)
    by_owner: list[dict] = field(default_factory=list)
    by_team: list[dict] = field(default_factory=list)
    by_state: list[dict] = field(default_factory=list)
    breadth_by_state: list[dict] = field(default_factory=list)
    breadth_by_industry: list[dict] = field(default_factory=list)
    breadth_by_region: list[dict] = field(default_factory=list)
    breadth_by_tier: list[dict] = field(default_factory=list)
    breadth_total: dict = field(default_factory=dict)

    TABLES = ("by_role", "by_owner", "by_team", "by_state", "breadth_by_state", "breadth_by_industry",
              "breadth_by_region", "breadth_by_tier")

    def as_json(self) -> dict:
        return {"as_of": self.as_of.isoformat() if self.as_of else None,
                "scope": "all" if self.everyone else "team",
                **{name: getattr(self, name) for name in self.TABLES}, "breadth_total": self.breadth_total}


STATE_ORDER = {state: i for i, state in enumerate(State.values)}
ROLE_ORDER = {role: i for i, role in enumerate(Role.values)}


def _depth_tables(figures: DepthFigures, rows: list[dict]) -> None:
    names = {u.id: u for u in User.objects.filter(id__in={r["owner_id"] for r in rows if r["owner_id"]})
             .only("id", "username", "full_name", "team")}
    figures.by_role = sorted(_group(rows, ("responsible_role",), DEPTH_SUMS),
                             key=lambda r: ROLE_ORDER.get(r["responsible_role"], 99))
    by_owner = _group(rows, ("owner_id", "team"), DEPTH_SUMS)
    for row in by_owner:
        user = names.get(row["owner_id"])
        row["owner_name"] = str(user) if user else ""
        row["owner_username"] = user.username if user else ""
    figures.by_owner = sorted(by_owner, key=lambda r: (r["owner_id"] is None, r["owner_name"].lower(), r["team"]))
    figures.by_team = sorted(_group(rows, ("team",), DEPTH_SUMS), key=lambda r: (r["team"] == "", r["team"]))
    figures.by_state = sorted(_group(rows, ("state", "responsible_role"), DEPTH_SUMS),
                              key=lambda r: (STATE_ORDER.get(r["state"], 99), ROLE_ORDER.get(r["responsible_role"], 99)))


def _breadth_tables(figures: DepthFigures, rows: list[dict]) -> None:
    targets = [r for r in rows if r["state"] != State.OUT_OF_SCOPE]
    once = (lambda r: True) if figures.filters.region else (lambda r: r["first_region"])
    figures.breadth_by_state = sorted(_group(rows, ("state",), BREADTH_SUMS, only=once),
                                      key=lambda r: STATE_ORDER.get(r["state"], 99))
    figures.breadth_by_industry = sorted(_group(targets, ("industry",), BREADTH_SUMS, only=once),
                                         key=lambda r: (r["industry"] == "", r["industry"].lower()))
    figures.breadth_by_region = sorted(_group(targets, ("region",), BREADTH_SUMS),
                                       key=lambda r: (r["region"] == "", r["region"]))
    figures.breadth_by_tier = sorted(_group(targets, ("icp_tier",), BREADTH_SUMS, only=once),
                                     key=lambda r: (r["icp_tier"] == "", r["icp_tier"]))
    total = _group(targets, (), BREADTH_SUMS, only=once)
    figures.breadth_total = total[0] if total else _finish({}, dict.fromkeys(BREADTH_SUMS, 0))


def depth_figures(f: DashboardFilters) -> DepthFigures:
    """The night's depth tables (per responsible role, owner, team, state and role) and breadth tables (per state,
    industry, region, ICP tier) within the filter's scope (the viewer's: dashboards.filtering); a fixed number of
    queries over the night's kept rows. Depth takes the state, team and owner filters; breadth the state, team,
    owner, industry, region and tier filters, each account once (dashboards.funnel.narrow). Raises FilterError for
    a night that did not complete."""
    night = completed_night(f.as_of)
    f.as_of = night
    figures = DepthFigures(as_of=night, filters=f, everyone=f.scope.everyone)
    if night is None:
        return figures
    depth = list(scoped_depth_rows(night=night, f=f).values("state", "responsible_role", "owner_id", "team", *DEPTH_SUMS))
    _depth_tables(figures, depth)
    kept = filtered_breadth_rows(BreadthSnapshot.objects.filter(as_of=night), f, every_region=True)
    breadth = list(kept.values("state", "industry", "region", "icp_tier", "first_region", *BREADTH_SUMS))
    _breadth_tables(figures, breadth)
    return figures
