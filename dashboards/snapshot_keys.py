"""The keys the dashboard snapshots keep accounts under (dashboards.models: KeptPeople, KeptOwnersOnce, KeptPlaces):
an account is on one row per region and, where people are kept, one row per distinct owner with the owner's team;
the flags pick each account once. The SQL twin of `owner_rows` is dashboards.funnel.by_owner_sql."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence

from core.choices import OWNER_ROLES
from core.models import User


def regions_of(raw) -> list[str]:
    """An account's regions (a JSON list, or its text) as the snapshots keep them: distinct, trimmed, at most 100
    characters; [""] without any, so the account still has one row."""
    values = json.loads(raw) if isinstance(raw, str) else (raw or [])
    seen: list[str] = []
    for value in values if isinstance(values, list) else []:
        text = str(value).strip()[:100]
        if text and text not in seen:
            seen.append(text)
    return seen or [""]


def team_of_users() -> dict[int, str]:
    """Every user's team (empty without one): one query over the users."""
    return dict(User.objects.values_list("id", "team"))


def owner_rows(owners: Sequence[int | None], teams: dict[int, str]) -> list[tuple[int | None, str, bool, bool]]:
    """The (owner, team, first_owner, first_in_team) rows an account is kept on: one per distinct owner, in the order
    of the owner columns; one row without owner when it has none."""
    distinct: list[int] = []
    for owner in owners:
        if owner is not None and owner not in distinct:
            distinct.append(owner)
    if not distinct:
        return [(None, "", True, True)]
    rows, seen_teams = [], set()
    for i, owner in enumerate(distinct):
        team = teams.get(owner) or ""
        rows.append((owner, team, i == 0, team not in seen_teams))
        seen_teams.add(team)
    return rows


def spread(groups: Iterable[tuple], teams: dict[int, str]) -> dict[tuple, int]:
    """Grouped accounts — (key…, industry, tier, regions, five owner ids, count) — as snapshot keys: (key…, owner,
    team, industry, region, tier, first_owner, first_in_team, first_region) → count."""
    kept: dict[tuple, int] = defaultdict(int)
    n_owners = len(OWNER_ROLES)
    for group in groups:
        *key, industry, tier, regions = group[:-1 - n_owners]
        owners, n = group[-1 - n_owners:-1], group[-1]
        places = regions_of(regions)
        for owner, team, first_owner, first_in_team in owner_rows(owners, teams):
            for position, region in enumerate(places):
                kept[(*key, owner, team[:100], (industry or "")[:100], region, (tier or "")[:1], first_owner,
                      first_in_team, position == 0)] += n
    return kept
