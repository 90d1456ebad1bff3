"""The coverage dashboard's figures for a filter (dashboards.filtering; docs/rules.md §9), shared by the page and the
API. Which kept rows answer depends on what the filter narrows:

- nothing (everyone's scope, no filter): the organisation's figures — the tallies for the latest night, the night's
  DailySnapshot for `as_of` — exactly as before filters existed;
- account attributes (state, industry, region, ICP tier): the night's breadth rows (BreadthSnapshot), per state and
  for breadth, each account counted once;
- people (a team, an owner, or a rep's own scope): the night's depth rows (DepthSnapshot) per state and responsible
  role — an account counts once per responsible role whose requirements those people hold; account attributes do
  not narrow these rows (the page says so). Breadth is the night's breadth rows of those people (BreadthSnapshot,
  kept per owner and team; each account once), narrowed by the account attributes too.

Open alerts are as they are now (the alert tally), narrowed to the filter's people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from . import selectors
from .filtering import DashboardFilters

ORGANISATION, ACCOUNTS, PEOPLE = "organisation", "accounts", "people"


@dataclass
class CoverageView:
    filters: DashboardFilters
    mode: str
    night: dt.date | None  # the night the figures are as of (None: none completed, or not the one asked for)
    missing: bool = False  # a night was asked for and none completed that day
    figures: dict | None = None  # §9's by_state and breadth (people mode: its breadth only is shown)
    by_state_and_role: list[dict] = field(default_factory=list)  # people mode
    alerts_by_role: list[dict] = field(default_factory=list)
    alerts_by_person: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        """The API's answer for a filtered call (the unfiltered one answers §9's JSON unchanged)."""
        body = {"as_of": self.night.isoformat() if self.night else None, "scope": self.filters.scope.name,
                "filters": self.filters.query(as_of=None)}
        figures = self.figures or selectors.empty_figures()
        if self.mode == PEOPLE:
            return {**body, "by_state_and_role": self.by_state_and_role, "breadth": figures["breadth"]}
        return {**body, "by_state": figures["by_state"], "breadth": figures["breadth"]}


def mode_of(f: DashboardFilters) -> str:
    if f.by_person:
        return PEOPLE
    return ACCOUNTS if (f.by_account or f.state) else ORGANISATION


def _organisation(view: CoverageView) -> None:
    f = view.filters
    view.figures = (selectors.coverage_figures() if f.as_of is None
                    else selectors.kept_coverage_figures(as_of=f.as_of))
    view.missing = view.figures is None and f.as_of is not None
    if view.figures is not None and view.figures["as_of"]:
        view.night = dt.date.fromisoformat(view.figures["as_of"])


def coverage_view(f: DashboardFilters, *, people: int = 25) -> CoverageView:
    """The figures the filter asks for, read from the kept rows only (module docstring): a fixed number of queries."""
    view = CoverageView(filters=f, mode=mode_of(f), night=None)
    if view.mode == ORGANISATION:
        _organisation(view)
    else:
        view.night = selectors.kept_night(f.as_of)
        view.missing = view.night is None and f.as_of is not None
        if view.night is not None:
            view.figures = selectors.breadth_coverage_figures(night=view.night, f=f)
        if view.night is not None and view.mode == PEOPLE:
            view.by_state_and_role = selectors.people_coverage_figures(night=view.night, f=f)
    view.alerts_by_role, view.alerts_by_person = selectors.open_alerts_by_role_and_person(
        people=people, assignees=selectors.scoped_assignees(f))
    return view
