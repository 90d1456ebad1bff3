"""Workload against capacity: the touches the standard asks for in the 30 days after a night, per responsible role
and per owner, against the people of each role (docs/rules.md §10). Kept once per completed night
(`workload_snapshot_write`, called by engine.services.recompute_run_finish) and read from the kept rows only
(`workload`) — never counted again from the accounts.

Definition. For every account in a state whose standard has requirements (its state as the night left it), each
requirement asks for ceil(HORIZON_DAYS / window_days) × min_count touches in the next HORIZON_DAYS days — the
windows that fit in the horizon, each needing min_count touches; touches already made are not subtracted (a window
that is covered today still has to be covered again). The touches go to the requirement's responsible role and to
the account's owner for that role ("no owner" when it has none).

Capacity: `per_day` touches per person per business day (PER_DAY_DEFAULT, adjustable), times the business days of
the HORIZON_DAYS days after the night (the business calendar, docs/rules.md §8). A role's people are its active
users. The standard cannot be met with today's staff where the touches asked for exceed the role's people ×
capacity, or one owner's touches exceed one person's capacity.

Kept rows (WorkloadSnapshot): per (state, responsible role, owner, the owner's team, industry, region, ICP tier) the
accounts and the touches — one GROUP BY per responsible role over the accounts in that role's states. An account
with several regions is on one row per region (`first_region` marks the first, for figures not split by region).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from accounts.models import Account
from core.bulk import bulk_insert_rows
from core.choices import Role, owner_field_for_role
from core.models import User
from core.timeutil import business_today
from handoffs.calendar import BusinessCalendar
from standards.models import Requirement

from .filtering import DashboardFilters, FilterError
from .funnel import narrow_places
from .models import WorkloadSnapshot
from .snapshot_keys import regions_of, team_of_users

HORIZON_DAYS = 30
PER_DAY_DEFAULT = 8
PER_DAY_MAX = 200
COLUMNS = ("as_of", "state", "responsible_role", "owner_id", "team", "industry", "region", "icp_tier",
           "first_region", "accounts", "touches")


def per_day_filter(raw: str | None) -> int:
    """Touches per person per business day from the URL (`per_day`), PER_DAY_DEFAULT when empty."""
    if raw in (None, ""):
        return PER_DAY_DEFAULT
    try:
        value = int(raw)
    except ValueError:
        raise FilterError({"per_day": [_("'%(value)s' is not a whole number.") % {"value": raw[:20]}]}) from None
    if not 1 <= value <= PER_DAY_MAX:
        raise FilterError({"per_day": [_("must be between 1 and %(n)s.") % {"n": PER_DAY_MAX}]})
    return value


def touches_needed(min_count: int, window_days: int, horizon: int = HORIZON_DAYS) -> int:
    """ceil(horizon / window_days) × min_count: 1/7 → 5, 2/30 → 2, 1/365 → 1."""
    return math.ceil(horizon / window_days) * min_count


def per_state_and_role() -> dict[str, dict[str, int]]:
    """Per responsible role, per state: the touches one account of the state asks for in the horizon."""
    need: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for state, role, n, p in Requirement.objects.values_list("standard__state", "responsible_role", "min_count",
                                                              "window_days"):
        need[role][state] += touches_needed(n, p)
    return need


def business_days_ahead(day: dt.date, horizon: int = HORIZON_DAYS) -> int:
    calendar = BusinessCalendar.load()
    return sum(calendar.is_business_day(day + dt.timedelta(days=i)) for i in range(1, horizon + 1))


# --- writing, once per completed night ------------------------------------------------------------------------------

def _workload_rows(as_of: dt.date) -> list[tuple]:
    teams = team_of_users()
    kept: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for role, by_state in per_state_and_role().items():
        field = owner_field_for_role(role)
        owner = f"{field}_id" if field else None
        groups = (Account.objects.filter(state__in=list(by_state)).order_by()
                  .values("state", "industry", "icp_tier", "regions", *([owner] if owner else []))
                  .annotate(n=Count("id")))
        for g in groups:
            owner_id = g.get(owner) if owner else None
            team = teams.get(owner_id, "") if owner_id else ""
            for position, region in enumerate(regions_of(g["regions"])):
                row = kept[(g["state"], role, owner_id, (team or "")[:100], (g["industry"] or "")[:100], region,
                            (g["icp_tier"] or "")[:1], position == 0)]
                row[0] += g["n"]
                row[1] += g["n"] * by_state[g["state"]]
    return [(as_of, *key, accounts, touches) for key, (accounts, touches) in kept.items()]


def workload_snapshot_write(*, as_of: dt.date) -> int:
    """Keep the night's workload rows; a rerun for the same date replaces them. One GROUP BY per responsible role
    whatever the number of accounts. Returns the rows kept."""
    rows = _workload_rows(as_of)
    with transaction.atomic():
        WorkloadSnapshot.objects.filter(as_of=as_of).delete()
        return bulk_insert_rows(WorkloadSnapshot, COLUMNS, rows)


# --- reading ---------------------------------------------------------------------------------------------------------

@dataclass
class RoleLoad:
    role: str
    accounts: int = 0
    touches: int = 0
    people: int = 0
    capacity: int = 0  # people × per person

    @property
    def per_person(self) -> float | None:
        return round(self.touches / self.people, 1) if self.people else None

    @property
    def over(self) -> bool:
        return self.touches > self.capacity


@dataclass
class OwnerLoad:
    role: str
    owner_id: int | None
    name: str
    team: str
    active: bool
    accounts: int = 0
    touches: int = 0


def narrow(rows, f: DashboardFilters):
    """The kept rows the filter selects: the chosen owner, the chosen team or the reader's scope (a rep's team, or
    only their own accounts without one); state, industry, region and ICP tier."""
    scope = f.scope
    if f.owner is not None:
        rows = rows.filter(owner_id=f.owner)
    if f.team or not scope.everyone and scope.team:
        rows = rows.filter(team=f.team or scope.team)
    elif not scope.everyone and f.owner is None:
        rows = rows.filter(owner_id=scope.user_id)
    if f.state:
        rows = rows.filter(state=f.state)
    return narrow_places(rows, f)


def workload(f: DashboardFilters, *, night: dt.date | None, per_day: int = PER_DAY_DEFAULT) -> dict:
    """Per role and per owner: accounts, touches asked for in the horizon after `night`, people and capacity — read
    from the night's kept rows the filter selects (a fixed number of queries). Before the first night: no accounts,
    the horizon from today."""
    days = business_days_ahead(night or business_today())
    per_person = per_day * days
    roles = {role: RoleLoad(role) for role in per_state_and_role()}
    owners: dict[tuple[str, int | None], OwnerLoad] = {}
    rows = narrow(WorkloadSnapshot.objects.filter(as_of=night), f)
    for row in (rows.values("responsible_role", "owner_id").annotate(a=Sum("accounts"), t=Sum("touches"))
                .order_by()):
        role, owner_id = row["responsible_role"], row["owner_id"]
        load = roles.setdefault(role, RoleLoad(role))
        load.accounts += row["a"]
        load.touches += row["t"]
        owners[role, owner_id] = OwnerLoad(role, owner_id, "", "", True, row["a"], row["t"])
    for role, n in User.objects.filter(is_active=True).values_list("role").annotate(n=Count("id")).order_by():
        if role in roles:
            roles[role].people = n
    for load in roles.values():
        load.capacity = load.people * per_person
    _name_owners(owners)
    return {"as_of": night, "horizon_days": HORIZON_DAYS, "business_days": days, "per_day": per_day,
            "per_person_capacity": per_person,
            "roles": [roles[r] for r in Role.values if r in roles],
            "owners": sorted(owners.values(), key=lambda o: (Role.values.index(o.role), -o.touches, o.name))}


def _name_owners(owners: dict[tuple[str, int | None], OwnerLoad]) -> None:
    ids = {owner_id for _role, owner_id in owners if owner_id is not None}
    found = {u.pk: u for u in User.objects.filter(pk__in=ids).only("username", "full_name", "team", "is_active")}
    for (_role, owner_id), owner in owners.items():
        user = found.get(owner_id)
        if user is not None:
            owner.name, owner.team, owner.active = user.full_name or user.username, user.team, user.is_active


def over_capacity(owner: OwnerLoad, per_person: int) -> bool:
    """An owner asked for more touches than one person can make; touches of no owner are always short."""
    return owner.owner_id is None or not owner.active or owner.touches > per_person


def workload_payload(f: DashboardFilters, *, night: dt.date | None, per_day: int) -> dict:
    """The API's answer."""
    found = workload(f, night=night, per_day=per_day)
    per_person = found["per_person_capacity"]
    return {
        "as_of": found["as_of"].isoformat() if night else None, "horizon_days": found["horizon_days"],
        "business_days": found["business_days"], "per_day": found["per_day"], "per_person_capacity": per_person,
        "scope": f.scope.name, "filters": f.query(as_of=""),
        "by_role": [{"role": r.role, "accounts": r.accounts, "touches": r.touches, "people": r.people,
                     "capacity": r.capacity, "touches_per_person": r.per_person, "over_capacity": r.over}
                    for r in found["roles"]],
        "by_owner": [{"role": o.role, "owner": o.owner_id, "name": o.name, "team": o.team, "accounts": o.accounts,
                      "touches": o.touches, "over_capacity": over_capacity(o, per_person)}
                     for o in found["owners"]],
    }
