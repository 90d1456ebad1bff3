"""One account's outcome facts (docs/rules.md §10), as plain data: the account's state history and its coverage alerts
in, dated facts out. The nightly snapshot (dashboards.outcome_snapshots) keeps these facts summed per key; the page
sums them for a period (dashboards.outcomes). No ORM, no SQL.

Why these facts. A period [S, E] asks, for customers (and leads alike), how many accounts were in the family on S
(N), how many of them had an alert of the family open at some time from S to their outcome or E (not met), and how
many reached the outcome in (S, E], split by met. With D the night and each account's stretches in the family
[F, L) (L: the day it left; none while it stays) and, within a stretch, the stretches of an open alert [a, r):

- N(S)  = stretches now (F ≤ D, not left by D) + ended stretches with S < L ≤ D and F ≤ S − ongoing ones with S < F.
- open on S, likewise from the alert stretches: now + ended with S < r ≤ D, a ≤ S − ongoing ones with S < a.
- the first alert after S: an alert stretch with S < a ≤ E whose "clear" day G — the stretch's start or the end of
  the alert stretch before it, whichever is later — is on or before S (no alert open from S to a).
- outcomes: stretches that ended by the cohort's move with S < L ≤ E and F ≤ S; met when the end of their last alert
  stretch (F without one) is on or before S.

Not met = open on S + first alerts; met = N − not met. Dates before the kept window are clipped to its day before
(`floor`), so facts older than any period group together.

Negotiation needs no such algebra: each entry is a fact dated by its entry, with its outcome as known on D (the next
transition: hit — a customer state, miss — any other, open — none yet) and whether a NEGOTIATION alert opened from
the entry to that transition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from core.choices import State

CUSTOMER_STATES = (State.ONBOARDING.value, State.ACTIVE.value, State.LOYAL.value)
LEAD_STATES = (State.HOT_LEAD.value, State.HIGH_POTENTIAL_LEAD.value, State.LEAD.value)
CONVERTED_STATES = (State.NEGOTIATION.value, *CUSTOMER_STATES)
# cohort → (the family whose stretches are followed, the states that are its outcome)
FAMILIES = {"customers": (frozenset(CUSTOMER_STATES), frozenset((State.CHURNED.value,))),
            "leads": (frozenset(LEAD_STATES), frozenset(CONVERTED_STATES))}
NEGOTIATION = State.NEGOTIATION.value


class Move(NamedTuple):
    as_of: dt.date
    from_state: str
    to_state: str


class AlertSpan(NamedTuple):
    state: str
    opened_on: dt.date
    resolved_on: dt.date | None


class Fact(NamedTuple):
    """One kept fact: the cohort, its kind, its dates and, for entries, the outcome and whether the standard was met."""

    cohort: str
    kind: str  # entry | now | start | end | hit | now_alert | alert_start | alert_end | taint
    day: dt.date | None = None
    since: dt.date | None = None
    clear: dt.date | None = None
    outcome: str = ""
    met: bool = True


def timeline(moves: Sequence[Move], state: str, state_since: dt.date | None) -> list[tuple[dt.date | None, str]]:
    """(first day — None for "always before", state) pieces in order: the first move's from_state before it, then each
    move's to_state. Without moves: the account's state from state_since (no piece without that date)."""
    if not moves:
        return [(state_since, state)] if state_since is not None else []
    pieces: list[tuple[dt.date | None, str]] = [(None, moves[0].from_state)]
    pieces += [(m.as_of, m.to_state) for m in moves]
    return pieces


def stretches(pieces, family: Iterable[str]) -> list[tuple[dt.date | None, dt.date | None, str]]:
    """Stretches in the family: (first day or None, the day it left or None, the state it left to). Empty ones (in and
    out on one day) are dropped."""
    found, start, inside = [], None, False
    for day, state in pieces:
        if state in family and not inside:
            start, inside = day, True
        elif state not in family and inside:
            if start is None or day is None or start < day:
                found.append((start, day, state))
            inside = False
    if inside:
        found.append((start, None, ""))
    return found


def alert_stretches(spans: Iterable[AlertSpan], first: dt.date | None,
                    last: dt.date | None) -> list[tuple[dt.date, dt.date | None]]:
    """The days some alert was open, as disjoint [a, r) stretches (r None: still open), clipped to [first, last)."""
    merged: list[list] = []
    for opened, resolved in sorted(((s.opened_on, s.resolved_on) for s in spans),
                                   key=lambda span: (span[0], span[1] or dt.date.max)):
        if first is not None and resolved is not None and resolved <= first:
            continue
        if last is not None and opened >= last:
            continue
        opened = max(opened, first) if first is not None else opened
        if last is not None and (resolved is None or resolved > last):
            resolved = last
        if resolved is not None and resolved <= opened:
            continue
        if merged and (merged[-1][1] is None or opened <= merged[-1][1]):
            if merged[-1][1] is not None and (resolved is None or resolved > merged[-1][1]):
                merged[-1][1] = resolved
        else:
            merged.append([opened, resolved])
    return [(a, r) for a, r in merged]


def _latest(*days: dt.date | None) -> dt.date | None:
    known = [d for d in days if d is not None]
    return max(known) if known else None


def family_facts(cohort: str, pieces, spans: Sequence[AlertSpan], *, night: dt.date, floor: dt.date) -> list[Fact]:
    """The customers' or leads' facts of one account as of `night`; dates before `floor` + 1 clipped to `floor`."""
    family, targets = FAMILIES[cohort]
    if not any(state in family for _day, state in pieces):
        return []
    spans = [s for s in spans if s.state in family]

    def clip(day: dt.date | None) -> dt.date:
        return floor if day is None or day < floor else day

    facts: list[Fact] = []
    for first, left, left_to in stretches(pieces, family):
        if first is not None and first > night:
            continue
        ongoing = left is None or left > night
        alerts = alert_stretches(spans, first, left)
        if ongoing:
            facts.append(Fact(cohort, "now"))
            if first is not None and first > floor:
                facts.append(Fact(cohort, "start", first))
        elif left > floor:
            facts.append(Fact(cohort, "end", left, clip(first)))
            if left_to in targets:
                clear = _latest(first, *(r for _a, r in alerts))
                facts.append(Fact(cohort, "hit", left, clip(first), clip(clear)))
        previous_end = first
        for opened, resolved in alerts:
            if opened > night:
                break
            if resolved is None or resolved > night:
                facts.append(Fact(cohort, "now_alert"))
                if opened > floor:
                    facts.append(Fact(cohort, "alert_start", opened))
            elif resolved > floor:
                facts.append(Fact(cohort, "alert_end", resolved, clip(opened)))
            if opened > floor:
                facts.append(Fact(cohort, "taint", opened, clip(_latest(first, previous_end))))
            previous_end = resolved
    return facts


def negotiation_facts(moves: Sequence[Move], spans: Sequence[AlertSpan], *, night: dt.date,
                      floor: dt.date) -> list[Fact]:
    """Each entry into NEGOTIATION (a move, not an initial classification) dated after `floor` and on or before
    `night`: its outcome by the next move (open when there is none by `night`) and whether a NEGOTIATION alert
    opened from the entry to that move."""
    if not any(move.to_state == NEGOTIATION for move in moves):
        return []
    opened = sorted(s.opened_on for s in spans if s.state == NEGOTIATION)
    facts = []
    for i, move in enumerate(moves):
        if move.to_state != NEGOTIATION or not move.from_state or not floor < move.as_of <= night:
            continue
        following = moves[i + 1] if i + 1 < len(moves) else None
        if following is None or following.as_of > night:
            outcome, until = "open", night
        else:
            outcome = "hit" if following.to_state in CUSTOMER_STATES else "miss"
            until = following.as_of
        tainted = any(move.as_of <= day <= until for day in opened)
        facts.append(Fact("negotiation", "entry", move.as_of, outcome=outcome, met=not tainted))
    return facts


def account_facts(moves: Sequence[Move], spans: Sequence[AlertSpan], *, state: str, state_since: dt.date | None,
                  night: dt.date, floor: dt.date) -> list[Fact]:
    """Every outcome fact of one account: its moves in order (as_of, then id), its coverage alerts."""
    pieces = timeline(moves, state, state_since)
    facts = negotiation_facts(moves, spans, night=night, floor=floor)
    for cohort in FAMILIES:
        facts += family_facts(cohort, pieces, spans, night=night, floor=floor)
    return facts
