"""The outcome facts a night keeps (dashboards.outcome_facts), summed for a period as the page sums them
(dashboards.outcomes), held to the definition read directly off each account's history (docs/rules.md §10) on
random histories: every period, every cohort, both sides. No database."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import pytest

from core.choices import State
from dashboards import outcomes as oc
from dashboards.outcome_facts import (CUSTOMER_STATES, FAMILIES, NEGOTIATION, AlertSpan, Move, account_facts,
                                      alert_stretches, stretches, timeline)

NIGHT = dt.date(2026, 6, 29)
FLOOR = NIGHT - dt.timedelta(days=731)
STATES = [s for s in State.values if s != State.OUT_OF_SCOPE] + [State.OUT_OF_SCOPE]
ALERT_STATES = (NEGOTIATION, *CUSTOMER_STATES, State.HOT_LEAD, State.HIGH_POTENTIAL_LEAD, State.LEAD)


def day(n: int) -> dt.date:
    return NIGHT - dt.timedelta(days=n)


def sums_of(facts, start: dt.date, end: dt.date) -> dict[str, dict[str, int]]:
    """The page's conditional sums (dashboards.outcomes._sums) over plain facts, per cohort."""
    found: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for f in facts:
        s = found[f.cohort]
        after = f.day is not None and f.day > start
        held = f.since is not None and f.since <= start
        until_end = after and f.day <= end
        if f.kind == "entry" and start <= f.day <= end:
            s[f"entry_{f.outcome}_{int(f.met)}"] += 1
        elif f.kind in ("now", "now_alert"):
            s[f.kind] += 1
        elif f.kind in ("start", "alert_start") and after:
            s[f.kind] += 1
        elif f.kind in ("end", "alert_end") and after and held:
            s[f.kind] += 1
        elif f.kind == "taint" and until_end and held:
            s["taint"] += 1
        elif f.kind == "hit" and until_end and held:
            s[f"hit_{int(f.clear <= start)}"] += 1
    return found


def state_on(pieces, when: dt.date) -> str:
    found = ""
    for first, state in pieces:
        if first is None or first <= when:
            found = state
    return found


def direct(moves, spans, state, state_since, start: dt.date, end: dt.date) -> dict[str, dict]:
    """Per cohort: {(met, outcome): accounts} read straight off the definition."""
    counts: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    known = [m for m in moves if m.as_of <= NIGHT]
    for i, m in enumerate(known):
        if m.to_state == NEGOTIATION and m.from_state and start <= m.as_of <= end:
            following = known[i + 1] if i + 1 < len(known) else None
            outcome = "open" if following is None else ("hit" if following.to_state in CUSTOMER_STATES else "miss")
            until = NIGHT if following is None else following.as_of
            met = not any(s.state == NEGOTIATION and m.as_of <= s.opened_on <= until for s in spans)
            counts["negotiation"][met, outcome] += 1
    pieces = timeline(moves, state, state_since)
    for cohort, (family, targets) in FAMILIES.items():
        if state_on(pieces, start) not in family:
            continue
        held = [s for s in stretches(pieces, family) if (s[0] is None or s[0] <= start) and
                (s[1] is None or s[1] > start)][0]
        left, left_to = held[1], held[2]
        hit = left is not None and left <= min(end, NIGHT) and left_to in targets
        bound = min(end, left - dt.timedelta(days=1)) if left is not None else end
        met = not any(s.state in family and s.opened_on <= bound and (s.resolved_on is None or s.resolved_on > start)
                      for s in spans)
        counts[cohort][met, "hit" if hit else "miss"] += 1
    return counts


def random_account(rng: random.Random):
    days = sorted(rng.sample(range(-20, 900), rng.randint(0, 6)), reverse=True)
    states = [rng.choice(STATES) for _ in range(len(days) + 1)]
    moves = [Move(day(d), "" if i == 0 and rng.random() < 0.4 else states[i], states[i + 1])
             for i, d in enumerate(days)]
    moves = [m for m in moves if m.from_state != m.to_state]
    spans = []
    for _ in range(rng.randint(0, 5)):
        opened = rng.randint(-5, 880)
        resolved = None if rng.random() < 0.3 else max(-10, opened - rng.randint(0, 90))
        spans.append(AlertSpan(rng.choice(ALERT_STATES), day(opened), None if resolved is None else day(resolved)))
    state = moves[-1].to_state if moves else rng.choice(STATES)
    return moves, spans, state, None if moves and rng.random() < 0.5 else day(rng.randint(0, 900))


def test_alert_stretches_merge_overlaps_and_clip_to_the_stretch():
    spans = [AlertSpan("LOYAL", day(50), day(40)), AlertSpan("LOYAL", day(45), day(30)),
             AlertSpan("LOYAL", day(30), day(20)), AlertSpan("LOYAL", day(10), None)]
    assert alert_stretches(spans, day(48), None) == [(day(48), day(20)), (day(10), None)]
    assert alert_stretches(spans, None, day(15)) == [(day(50), day(20))]


def test_a_stretch_ends_where_the_family_is_left_and_same_day_visits_are_dropped():
    moves = [Move(day(100), "", State.ONBOARDING), Move(day(50), State.ONBOARDING, State.ACTIVE),
             Move(day(40), State.ACTIVE, State.CHURNED), Move(day(30), State.CHURNED, State.ACTIVE),
             Move(day(30), State.ACTIVE, State.CHURNED)]
    assert stretches(timeline(moves, State.CHURNED, day(30)), CUSTOMER_STATES) == [
        (day(100), day(40), State.CHURNED)]


@pytest.mark.parametrize("seed", range(6))
def test_summed_facts_equal_the_definition_for_every_period(seed):
    rng = random.Random(seed)
    accounts = [random_account(rng) for _ in range(150)]
    facts = [f for moves, spans, state, since in accounts
             for f in account_facts(moves, spans, state=state, state_since=since, night=NIGHT, floor=FLOOR)]
    for _ in range(12):
        start = day(rng.randint(0, 730))
        end = min(NIGHT, start + dt.timedelta(days=rng.randint(0, 400)))
        sums = sums_of(facts, start, end)
        expected: dict[str, dict] = defaultdict(lambda: defaultdict(int))
        for moves, spans, state, since in accounts:
            for cohort, counts in direct(moves, spans, state, since, start, end).items():
                for key, n in counts.items():
                    expected[cohort][key] += n
        for cohort in oc.COHORTS:
            got, want = oc.comparison(cohort, sums[cohort]), expected[cohort]
            assert (got.met.hits, got.met.n) == (want[True, "hit"], want[True, "hit"] + want[True, "miss"]), \
                (cohort, start, end)
            assert (got.not_met.hits, got.not_met.n) == (want[False, "hit"], want[False, "hit"] + want[False, "miss"]), \
                (cohort, start, end)
            if cohort == "negotiation":
                assert (got.open_met, got.open_not_met) == (want[True, "open"], want[False, "open"])
