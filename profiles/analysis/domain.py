"""ICP analysis arithmetic (issue #5): lift, numeric bands, the minimum-sample rule, suggested criteria,
and the validation rates. Plain Python: counts in, dataclasses out, no ORM.

The rules, as the pages explain them:

* **Share** of a value in a group = accounts of the group having the value / accounts in the group.
  **Lift** = share among the best customers / share among all target accounts. Lift 2 means the value is
  twice as common among the best customers as in the market.
* **Minimum sample**: a value (or numeric band) is judged only when at least ``min_sample`` accounts have
  it in *each* compared group (best customers and all targets). Below that the row says "too few to tell",
  shows no lift, and is never suggested: a lift of 3 on four accounts is noise.
* **Suggestion**: each judged row with lift ≥ ``SUGGEST_MIN_LIFT`` (1.5) becomes a criterion. Rows of the
  same one-valued attribute are merged (industries into one ``in``; adjacent numeric bands into one
  ``between``/``gte``/``lt``) and the merged row's lift is recomputed from the summed counts (the values
  are disjoint, so counts add). List attributes (departments, regions, technologies) give one
  ``contains`` criterion per value, since one account may hold several. Weight = round(10 × lift),
  between 1 and ``MAX_WEIGHT``; at most ``MAX_SUGGESTED`` criteria, strongest lift first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..scoring import tier_for

MIN_SAMPLE = 30
SUGGEST_MIN_LIFT = Fraction(3, 2)
WEIGHT_PER_LIFT = 10
MAX_WEIGHT = 50
MAX_SUGGESTED = 8
# "Active customers with at least N won deals" can be chosen for N = 1 … MAX_REPEAT_WINS: the precomputed
# counts keep active accounts by their number of wins, capped here (the last group is "N or more").
MAX_REPEAT_WINS = 10

# Attributes worth comparing: descriptive firmographics, not identifiers (name, domain, corporate number).
CATEGORY_ATTRIBUTES: tuple[str, ...] = ("industry", "prefecture")
BOOLEAN_ANALYSIS_ATTRIBUTES: tuple[str, ...] = ("listed",)
LIST_ANALYSIS_ATTRIBUTES: tuple[str, ...] = ("departments", "regions", "technologies")


@dataclass(frozen=True)
class Band:
    """A numeric band [low, high): ``low`` None = no lower end, ``high`` None = no upper end."""

    index: int
    low: Decimal | None
    high: Decimal | None

    def contains(self, value: Any) -> bool:
        if value is None:
            return False
        number = Decimal(str(value))
        return (self.low is None or number >= self.low) and (self.high is None or number < self.high)


# Fixed, explainable bands (yen for money, % for growth); the same for every data set, so two months compare.
NUMERIC_BAND_EDGES: dict[str, tuple[Decimal, ...]] = {
    "employees": tuple(Decimal(x) for x in (50, 300, 1000, 5000)),
    "annual_revenue": tuple(Decimal(x) for x in (100_000_000, 1_000_000_000, 10_000_000_000, 100_000_000_000)),
    "revenue_growth_pct": tuple(Decimal(x) for x in (0, 5, 10, 20)),
    "promo_budget": tuple(Decimal(x) for x in (1_000_000, 10_000_000, 100_000_000)),
    "avg_order_amount": tuple(Decimal(x) for x in (1_000_000, 10_000_000, 100_000_000)),
}
# The smallest step of each stored number, so a band [low, high) becomes the inclusive between [low, high − step].
NUMERIC_STEP: dict[str, Decimal] = {
    "employees": Decimal(1), "annual_revenue": Decimal(1), "revenue_growth_pct": Decimal("0.01"),
    "promo_budget": Decimal(1), "avg_order_amount": Decimal(1),
}


def bands_for(edges: Sequence[Decimal]) -> tuple[Band, ...]:
    """Edges e1 < e2 < … give bands (−∞, e1), [e1, e2), …, [en, ∞)."""
    points: list[Decimal | None] = [None, *edges, None]
    return tuple(Band(i, points[i], points[i + 1]) for i in range(len(points) - 1))


def band_of(value: Any, bands: Sequence[Band]) -> int | None:
    for band in bands:
        if band.contains(value):
            return band.index
    return None


def _plain(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


def band_criterion(attribute: str, low: Decimal | None, high: Decimal | None) -> dict:
    """The criterion matching [low, high) of one numeric attribute (without weight)."""
    step = NUMERIC_STEP.get(attribute, Decimal(1))
    if low is None and high is None:
        raise ValueError("a band needs at least one end")
    if low is None:
        return {"attribute": attribute, "op": "lt", "value": _plain(high)}
    if high is None:
        return {"attribute": attribute, "op": "gte", "value": _plain(low)}
    return {"attribute": attribute, "op": "between", "value": [_plain(low), _plain(high - step)]}


def band_label(low: Decimal | None, high: Decimal | None) -> str:
    def fmt(n: Decimal) -> str:
        return f"{_plain(n):,}"

    if low is None:
        return f"< {fmt(high)}"
    if high is None:
        return f"≥ {fmt(low)}"
    return f"{fmt(low)} – < {fmt(high)}"


# --- lift -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiftRow:
    attribute: str
    kind: str  # "category" | "boolean" | "list" | "band"
    value: Any  # the value, True/False, or the band index
    label: str
    best_count: int
    best_total: int
    all_count: int
    all_total: int
    min_sample: int
    low: Decimal | None = None
    high: Decimal | None = None

    @property
    def share_best(self) -> Fraction | None:
        return Fraction(self.best_count, self.best_total) if self.best_total else None

    @property
    def share_all(self) -> Fraction | None:
        return Fraction(self.all_count, self.all_total) if self.all_total else None

    @property
    def enough(self) -> bool:
        """The minimum-sample rule: enough accounts with this value in each compared group."""
        return self.best_count >= self.min_sample and self.all_count >= self.min_sample

    @property
    def lift(self) -> Fraction | None:
        """share_best / share_all, only when the sample is large enough (None: too few to tell)."""
        if not self.enough or not self.share_all or self.share_best is None:
            return None
        return self.share_best / self.share_all

    @property
    def share_best_pct(self) -> float | None:
        return None if self.share_best is None else round(float(self.share_best) * 100, 1)

    @property
    def share_all_pct(self) -> float | None:
        return None if self.share_all is None else round(float(self.share_all) * 100, 1)

    @property
    def lift_display(self) -> float | None:
        return None if self.lift is None else round(float(self.lift), 2)

    @property
    def suggested(self) -> bool:
        return self.lift is not None and self.lift >= SUGGEST_MIN_LIFT


def lift_rows(
    *, attribute: str, kind: str, best: Mapping[Any, int], all_targets: Mapping[Any, int], best_total: int,
    all_total: int, min_sample: int = MIN_SAMPLE, labels: Mapping[Any, str] | None = None,
    bands: Sequence[Band] = (),
) -> list[LiftRow]:
    """One row per value seen among all targets (the best group is a subset of them), largest share first."""
    by_band = {b.index: b for b in bands}
    rows = []
    for value, all_count in all_targets.items():
        band = by_band.get(value)
        rows.append(LiftRow(
            attribute=attribute, kind=kind, value=value,
            label=(labels or {}).get(value) or (band_label(band.low, band.high) if band else str(value)),
            best_count=int(best.get(value, 0)), best_total=best_total, all_count=int(all_count), all_total=all_total,
            min_sample=min_sample, low=band.low if band else None, high=band.high if band else None,
        ))
    if kind == "band":
        rows.sort(key=lambda r: r.value)
    else:
        rows.sort(key=lambda r: (-r.all_count, str(r.value)))
    return rows


# --- suggestion -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    criterion: dict  # {"attribute", "op", "value", "weight"}
    lift: Fraction
    best_count: int
    all_count: int
    label: str

    @property
    def lift_display(self) -> float:
        return round(float(self.lift), 2)


def weight_for(lift: Fraction) -> int:
    """round(10 × lift), half up, kept within 1…MAX_WEIGHT."""
    scaled = lift * WEIGHT_PER_LIFT
    return max(1, min(MAX_WEIGHT, int(scaled + Fraction(1, 2))))


def _merged(rows: Sequence[LiftRow], criterion: dict, label: str) -> Suggestion:
    best_count, all_count = sum(r.best_count for r in rows), sum(r.all_count for r in rows)
    first = rows[0]
    lift = Fraction(best_count, first.best_total) / Fraction(all_count, first.all_total)
    return Suggestion(criterion={**criterion, "weight": weight_for(lift)}, lift=lift, best_count=best_count,
                      all_count=all_count, label=label)


def suggest_criteria(rows: Iterable[LiftRow], *, max_criteria: int = MAX_SUGGESTED) -> list[Suggestion]:
    """Criteria with weights from the judged rows with lift ≥ 1.5 (module docstring)."""
    picked: dict[tuple[str, str], list[LiftRow]] = {}
    for row in rows:
        if row.suggested:
            picked.setdefault((row.attribute, row.kind), []).append(row)
    suggestions: list[Suggestion] = []
    for (attribute, kind), group in picked.items():
        if kind == "category":
            values = sorted(str(r.value) for r in group)
            suggestions.append(_merged(group, {"attribute": attribute, "op": "in", "value": values},
                                       f"{attribute}: {', '.join(values)}"))
        elif kind == "boolean":
            for row in group:  # at most one of True/False can be over-represented
                op = "is_true" if row.value else "is_false"
                suggestions.append(_merged([row], {"attribute": attribute, "op": op}, f"{attribute}: {row.label}"))
        elif kind == "list":
            for row in group:
                suggestions.append(_merged([row], {"attribute": attribute, "op": "contains", "value": str(row.value)},
                                           f"{attribute}: {row.value}"))
        elif kind == "band":
            run: list[LiftRow] = []
            for row in sorted(group, key=lambda r: r.value) + [None]:  # type: ignore[list-item]
                if row is not None and run and row.value == run[-1].value + 1:
                    run.append(row)
                    continue
                if run:
                    low, high = run[0].low, run[-1].high
                    suggestions.append(_merged(run, band_criterion(attribute, low, high),
                                               f"{attribute}: {band_label(low, high)}"))
                run = [row] if row is not None else []
    suggestions.sort(key=lambda s: (-s.lift, s.label))
    return suggestions[:max_criteria]


def suggested_criteria(suggestions: Iterable[Suggestion]) -> list[dict]:
    return [dict(s.criterion) for s in suggestions]


# --- validation ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    hits: int
    total: int
    min_sample: int = MIN_SAMPLE

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.hits, self.total) if self.total else None

    @property
    def pct(self) -> float | None:
        return None if self.rate is None else round(float(self.rate) * 100, 1)

    @property
    def enough(self) -> bool:
        return self.total >= self.min_sample


@dataclass(frozen=True)
class TierOutcome:
    tier: str
    win: Rate
    churn: Rate


@dataclass(frozen=True)
class VersionOutcome:
    label: str
    tiers: tuple[TierOutcome, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def tier(self, code: str) -> TierOutcome:
        return next(t for t in self.tiers if t.tier == code)

    @property
    def win_spread(self) -> float | None:
        """Win rate of tier A minus tier C, in points: how strongly the tiers separated winners."""
        a, c = self.tier("A").win, self.tier("C").win
        if not (a.enough and c.enough):
            return None
        return round(float(a.rate - c.rate) * 100, 1)

    @property
    def churn_spread(self) -> float | None:
        """Churn of tier C minus tier A, in points (positive: good tiers churn less)."""
        a, c = self.tier("A").churn, self.tier("C").churn
        if not (a.enough and c.enough):
            return None
        return round(float(c.rate - a.rate) * 100, 1)


TIERS: tuple[str, ...] = ("A", "B", "C")


def version_outcome(
    *, label: str, won: Mapping[str, int], closed: Mapping[str, int], churned: Mapping[str, int],
    customers: Mapping[str, int], min_sample: int = MIN_SAMPLE,
) -> VersionOutcome:
    """Win rate = won / closed (won + lost) deals per tier; churn = churned / customers per tier."""
    return VersionOutcome(label=label, tiers=tuple(
        TierOutcome(tier=t, win=Rate(int(won.get(t, 0)), int(closed.get(t, 0)), min_sample),
                    churn=Rate(int(churned.get(t, 0)), int(customers.get(t, 0)), min_sample))
        for t in TIERS
    ))


# --- histogram ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    low: int
    high: int  # inclusive
    count: int
    pct_of_max: int


def histogram(fit_counts: Mapping[int, int], *, width: int = 10) -> list[Bucket]:
    """10-point buckets 0–9, …, 80–89, 90–100 (100 joins the last bucket)."""
    counts = [0] * (100 // width)
    for fit, n in fit_counts.items():
        counts[min(int(fit) // width, len(counts) - 1)] += int(n)
    peak = max(counts) or 1
    return [Bucket(i * width, (i + 1) * width - 1 if i < len(counts) - 1 else 100, n, round(100 * n / peak))
            for i, n in enumerate(counts)]


def tier_counts(fit_counts: Mapping[int, int], tiers: Mapping[str, int]) -> dict[str, int]:
    result = {t: 0 for t in TIERS}
    for fit, n in fit_counts.items():
        result[tier_for(int(fit), tiers)] += int(n)
    return result
