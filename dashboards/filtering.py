"""The dashboards' one filter: parsed from the URL, scoped to the viewer, turned back into URLs and drill-downs.

Every dashboard page and API reads its filters through `parse_filters(params, user)`:

- `DashboardFilters` holds team, owner (a user id), state, industry, region, ICP tier (`icp_tier`; `tier` is read
  too), the night (`as_of`) and a period (`from` / `to`, also read as `date_from` / `date_to`). A value that cannot
  be read raises `FilterError`, whose `errors` map each URL parameter to its messages — pages answer 400 naming
  the field, APIs a DRF ValidationError with the same keys.
- `Scope` is what the viewer may read: managers, admins and executives everyone's figures; every other role their
  own accounts and their team's (`SEE_ALL`). A team or owner outside a rep's scope is refused naming the field,
  never silently widened or emptied.
- `DashboardFilters.query()` gives the filters back as URL parameters (for links, exports, the filter bar), and
  `accounts_link(**params)` the accounts list with the same filter plus the figure's own key (state, responsible
  role, coverage class…): the drill-down from a figure to exactly the accounts it counts (accounts/filtersets.py).
- `csv_response(filename, header, rows)` is every dashboard table's CSV: UTF-8 with a byte order mark (Excel),
  cells formula-safe (core.csvio.format_cell).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from core.choices import Role, State
from core.csvio import BOM, stream_csv
from core.models import User
from core.permissions import MANAGERS

TIERS = ("A", "B", "C")
SEE_ALL = (*MANAGERS, Role.EXECUTIVE)  # everyone's figures; other roles: their own and their team's
TEXT_LIMIT = 100  # team, industry and region are at most 100 characters (the snapshot columns)


class FilterError(ValueError):
    """Filters that cannot be read: `errors` maps each URL parameter to its messages (already translated)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items()))
        self.errors = errors

    @property
    def field(self) -> str:
        """The first refused parameter."""
        return next(iter(self.errors))

    def lines(self) -> list[str]:
        """One "field: message" line per refused parameter, as the pages show them."""
        return [f"{name}: {' '.join(msgs)}" for name, msgs in self.errors.items()]


@dataclass(frozen=True)
class Scope:
    """What a viewer may read: `everyone`, or the accounts of `user_id` and of the team `team` (empty: no team)."""

    everyone: bool
    user_id: int | None = None
    team: str = ""

    @classmethod
    def of(cls, user) -> Scope:
        if getattr(user, "role", None) in SEE_ALL:
            return cls(everyone=True)
        return cls(everyone=False, user_id=user.pk, team=getattr(user, "team", "") or "")

    @property
    def name(self) -> str:
        """"all" or "team" (the APIs' `scope`)."""
        return "all" if self.everyone else "team"

    def link_params(self) -> dict[str, str]:
        """The accounts list filter of this scope: the team, or the viewer alone when without a team."""
        if self.everyone:
            return {}
        return {"team": self.team} if self.team else {"owner": str(self.user_id)}


@dataclass
class DashboardFilters:
    """One dashboard filter, as the URL gives it. Empty strings and None mean "any"."""

    team: str = ""
    owner: int | None = None
    state: str = ""
    industry: str = ""
    region: str = ""
    icp_tier: str = ""
    as_of: dt.date | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    scope: Scope = field(default_factory=lambda: Scope(everyone=True))

    @property
    def by_person(self) -> bool:
        """True when the figures are narrowed to people (a team, an owner, or a rep's scope)."""
        return bool(self.team or self.owner is not None or not self.scope.everyone)

    @property
    def by_account(self) -> bool:
        """True when narrowed by an account attribute (industry, region, ICP tier)."""
        return bool(self.industry or self.region or self.icp_tier)

    @property
    def is_empty(self) -> bool:
        """No filter at all, the night and period aside, and everyone's scope."""
        return not (self.by_person or self.by_account or self.state)

    def query(self, **extra) -> dict[str, str]:
        """The filters as URL parameters, empty ones left out; `extra` adds or overrides (None or "" removes)."""
        values = {"team": self.team, "owner": "" if self.owner is None else str(self.owner), "state": self.state,
                  "industry": self.industry, "region": self.region, "icp_tier": self.icp_tier,
                  "as_of": _iso(self.as_of), "from": _iso(self.date_from), "to": _iso(self.date_to)}
        values.update({k: "" if v is None else str(v) for k, v in extra.items()})
        return {k: v for k, v in values.items() if v}

    def querystring(self, **extra) -> str:
        return urlencode(self.query(**extra))

    def accounts_params(self) -> dict[str, str]:
        """This filter as the accounts list reads it: the scope, then the chosen team/owner and account attributes
        (the night and the period are not the list's: it shows accounts as they are)."""
        params = self.scope.link_params()
        params.update({k: v for k, v in self.query().items() if k in ACCOUNT_PARAMS})
        if self.owner is not None and "team" in params and not self.team:
            del params["team"]  # a rep's own teammate chosen: the owner says it all
        return params

    def accounts_link(self, **params) -> str:
        """The drill-down: the accounts list with this filter and the figure's own keys (`params`)."""
        return accounts_link(**{**self.accounts_params(), **params})

    def narrowed(self, **changes) -> DashboardFilters:
        return replace(self, **changes)


ACCOUNT_PARAMS = ("team", "owner", "state", "industry", "region", "icp_tier")


def accounts_link(**params) -> str:
    """The accounts list (accounts/filtersets.py) with these filters; None and "" values left out."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse("accounts:list") + (f"?{query}" if query else "")


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def _date(params: Mapping, names: Sequence[str], errors: dict) -> dt.date | None:
    for name in names:
        raw = (params.get(name) or "").strip()
        if not raw:
            continue
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            errors[names[0]] = [_("“%(value)s” is not a date: use YYYY-MM-DD.") % {"value": raw[:40]}]
            return None
    return None


def _text(params: Mapping, name: str, errors: dict) -> str:
    raw = (params.get(name) or "").strip()
    if "\x00" in raw or len(raw) > TEXT_LIMIT:
        errors[name] = [_("At most %(n)s characters, without NUL.") % {"n": TEXT_LIMIT}]
        return ""
    return raw


def _read(params: Mapping, errors: dict) -> DashboardFilters:
    f = DashboardFilters()
    f.team, f.industry, f.region = (_text(params, name, errors) for name in ("team", "industry", "region"))
    raw = (params.get("owner") or "").strip()
    if raw:
        if raw.isdigit() and len(raw) < 10:
            f.owner = int(raw)
        else:
            errors["owner"] = [_("Give a user id (a whole number).")]
    f.state = (params.get("state") or "").strip()
    if f.state and f.state not in State.values:
        errors["state"] = [_("“%(value)s” is not a state.") % {"value": f.state[:40]}]
        f.state = ""
    tier_name = "icp_tier" if params.get("icp_tier") else "tier"  # the depth page's former name, still read
    f.icp_tier = (params.get(tier_name) or "").strip().upper()
    if f.icp_tier and f.icp_tier not in TIERS:
        errors[tier_name] = [_("The ICP tier is A, B or C.")]
        f.icp_tier = ""
    f.as_of = _date(params, ("as_of",), errors)
    f.date_from = _date(params, ("from", "date_from"), errors)
    f.date_to = _date(params, ("to", "date_to"), errors)
    if f.date_from and f.date_to and f.date_from > f.date_to:
        errors["from"] = [_("The period must start on or before its end (from ≤ to).")]
    return f


def _check_scope(f: DashboardFilters, errors: dict) -> None:
    """A rep may narrow to their own team and its people only (one query, for an owner)."""
    scope = f.scope
    if scope.everyone:
        return
    if f.team and f.team != scope.team:
        errors["team"] = [_("You can read your own team's figures only.")]
    if f.owner is not None and f.owner != scope.user_id:
        teammate = bool(scope.team) and User.objects.filter(pk=f.owner, team=scope.team).exists()
        if not teammate:
            errors["owner"] = [_("You can read your own and your team's figures only.")]


def parse_filters(params: Mapping, user=None) -> DashboardFilters:
    """The filters of a query string for `user` (None: everyone's scope). Raises FilterError naming every
    parameter that cannot be read or lies outside the viewer's scope."""
    errors: dict[str, list[str]] = {}
    f = _read(params, errors)
    if user is not None:
        f.scope = Scope.of(user)
    _check_scope(f, errors)
    if errors:
        raise FilterError(errors)
    return f


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """A dashboard table as a CSV download: UTF-8 with a byte order mark (Excel opens Japanese text correctly),
    CRLF lines, text cells that start like a formula prefixed with `'` (core.csvio.format_cell)."""
    response = HttpResponse(BOM + "".join(stream_csv(list(header), rows)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def unknown_table(tables: Iterable[str]) -> str:
    """The refusal of a CSV export without a known `table` (or before any night), as a page shows it."""
    return "table: " + _("Choose a table to export on a night: %(tables)s.") % {"tables": ", ".join(tables)}


def filter_choices(scope: Scope) -> tuple[list[tuple[int, str]], list[str]]:
    """The owners (active users, by name) and teams the filter bar offers, within the viewer's scope: one query."""
    users = User.objects.filter(is_active=True).only("id", "username", "full_name", "team")
    if not scope.everyone:
        users = users.filter(team=scope.team) if scope.team else users.filter(pk=scope.user_id)
    users = list(users)
    owners = sorted(((u.id, str(u)) for u in users), key=lambda pair: pair[1].lower())
    return owners, sorted({u.team for u in users if u.team})


def filter_bar(f: DashboardFilters, *, fields: Sequence[str] = ACCOUNT_PARAMS, nights=None) -> dict:
    """What templates/dashboards/partials/filters.html draws: the chosen values, the choices (labelled in the
    reader's language) and which fields the page takes."""
    owners, teams = filter_choices(f.scope)
    return {"filters": f, "fields": set(fields), "owners": owners, "teams": teams, "states": State.choices,
            "tiers": TIERS, "nights": nights or [], "scope": f.scope}

