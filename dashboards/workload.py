"""Workload against capacity: the touches the standard asks for in the next 30 days, per responsible role and per
owner, against the people of each role (docs/rules.md §10).

Definition. For every account in a state whose standard has requirements (the account's current state, as the
latest evaluation left it), each requirement asks for ceil(HORIZON_DAYS / window_days) × min_count touches in the
next HORIZON_DAYS days — the windows that fit in the horizon, each needing min_count touches; touches already made
are not subtracted (a window that is covered today still has to be covered again). The touches go to the
requirement's responsible role and to the account's owner for that role ("no owner" when it has none).

Capacity: `per_day` touches per person per business day (PER_DAY_DEFAULT, adjustable), times the business days of
the next HORIZON_DAYS days (the business calendar, docs/rules.md §8). A role's people are its active users. The
standard cannot be met with today's staff where the touches asked for exceed the role's people × capacity, or one
owner's touches exceed one person's capacity.

Reads: one GROUP BY (state, owner) per responsible role over the accounts in that role's states (the state index),
the requirements, the active people per role, and the calendar — a fixed number of statements.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import gettext as _

from accounts.models import Account
from core.choices import Role
from core.models import User
from core.timeutil import business_today
from handoffs.calendar import BusinessCalendar
from standards.models import Requirement

HORIZON_DAYS = 30
PER_DAY_DEFAULT = 8
PER_DAY_MAX = 200
OWNER_FIELD = {Role.CSM: "owner_csm", Role.SALES: "owner_sales", Role.INSIDE_SALES: "owner_inside_sales",
               Role.MARKETING: "owner_marketing", Role.EXECUTIVE: "owner_executive"}


class WorkloadError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def per_day_filter(raw: str | None) -> int:
    """Touches per person per business day from the URL (`per_day`), PER_DAY_DEFAULT when empty."""
    if raw in (None, ""):
        return PER_DAY_DEFAULT
    try:
        value = int(raw)
    except ValueError:
        raise WorkloadError("per_day", _("'%(value)s' is not a whole number.") % {"value": raw[:20]}) from None
    if not 1 <= value <= PER_DAY_MAX:
        raise WorkloadError("per_day", _("must be between 1 and %(n)s.") % {"n": PER_DAY_MAX})
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


def business_days_ahead(today: dt.date, horizon: int = HORIZON_DAYS) -> int:
    calendar = BusinessCalendar.load()
    return sum(calendar.is_business_day(today + dt.timedelta(days=i)) for i in range(1, horizon + 1))


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


def workload(*, per_day: int = PER_DAY_DEFAULT, people: list[int] | None = None, today: dt.date | None = None) -> dict:
    """Per role and per owner: accounts, touches asked for in the horizon, people and capacity. `people` limits the
    accounts to those owned (in the requirement's role) by these users (None: every account, owners or not)."""
    today = today or business_today()
    days = business_days_ahead(today)
    per_person = per_day * days
    roles: dict[str, RoleLoad] = {}
    owners: dict[tuple[str, int | None], OwnerLoad] = {}
    for role, by_state in per_state_and_role().items():
        load = roles.setdefault(role, RoleLoad(role))
        field = OWNER_FIELD.get(role)
        rows = Account.objects.filter(state__in=list(by_state))
        if people is not None:
            rows = rows.filter(**{f"{field}__in": people}) if field else rows.none()
        keys = ("state", f"{field}_id") if field else ("state",)
        for row in rows.values(*keys).annotate(n=Count("id")).order_by():
            touches = row["n"] * by_state[row["state"]]
            owner_id = row.get(f"{field}_id") if field else None
            load.accounts += row["n"]
            load.touches += touches
            owner = owners.setdefault((role, owner_id), OwnerLoad(role, owner_id, "", "", True))
            owner.accounts += row["n"]
            owner.touches += touches
    for role, n in User.objects.filter(is_active=True).values_list("role").annotate(n=Count("id")).order_by():
        if role in roles:
            roles[role].people = n
    for load in roles.values():
        load.capacity = load.people * per_person
    _name_owners(owners)
    return {"as_of": today, "horizon_days": HORIZON_DAYS, "business_days": days, "per_day": per_day,
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


def workload_payload(**kwargs) -> dict:
    """The API's answer."""
    found = workload(**kwargs)
    per_person = found["per_person_capacity"]
    return {
        "as_of": found["as_of"].isoformat(), "horizon_days": found["horizon_days"],
        "business_days": found["business_days"], "per_day": found["per_day"], "per_person_capacity": per_person,
        "by_role": [{"role": r.role, "accounts": r.accounts, "touches": r.touches, "people": r.people,
                     "capacity": r.capacity, "touches_per_person": r.per_person, "over_capacity": r.over}
                    for r in found["roles"]],
        "by_owner": [{"role": o.role, "owner": o.owner_id, "name": o.name, "team": o.team, "accounts": o.accounts,
                      "touches": o.touches, "over_capacity": over_capacity(o, per_person)}
                     for o in found["owners"]],
    }


def people_filter(user, *, owner: str | None = None, team: str | None = None) -> list[int] | None:
    """Whose accounts to count: the reader's scope (dashboards.outcomes.scope_people), narrowed to a team (`team`,
    its name) and to one owner (`owner`, a username). None: every account."""
    from .outcomes import scope_people

    for field, value in (("team", team), ("owner", owner)):
        if value and ("\x00" in value or len(value) > 150):
            raise WorkloadError(field, _("not a name."))
    ids = scope_people(user)
    if team:
        in_team = list(User.objects.filter(team=team).values_list("pk", flat=True))
        ids = in_team if ids is None else [pk for pk in ids if pk in set(in_team)]
    if owner:
        found = User.objects.filter(username=owner).values_list("pk", flat=True).first()
        if found is None or (ids is not None and found not in ids):
            raise WorkloadError("owner", _("no such person among the accounts you may see: '%(name)s'.")
                                % {"name": owner[:60]})
        ids = [found]
    return ids
