"""Small arithmetic for the outcome figures (docs/rules.md §10): rates with a 95 % Wilson score interval. Pure
functions, no database."""

from __future__ import annotations

import math
from typing import NamedTuple

Z_95 = 1.959963984540054  # the two-sided 95 % normal quantile


class Rate(NamedTuple):
    """`hits` of `n`: the rate and its Wilson interval (all None when n is 0)."""

    hits: int
    n: int
    rate: float | None
    low: float | None
    high: float | None


def wilson(hits: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of hits / n, or None for n = 0. 8 of 10 → (0.490, 0.943)."""
    if n <= 0:
        return None
    if not 0 <= hits <= n:
        raise ValueError(f"hits must be between 0 and n ({hits} of {n})")
    p = hits / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    margin = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - margin), min(1.0, centre + margin)


def rate(hits: int, n: int) -> Rate:
    interval = wilson(hits, n)
    if interval is None:
        return Rate(hits, n, None, None, None)
    return Rate(hits, n, hits / n, interval[0], interval[1])


def overlaps(a: Rate, b: Rate) -> bool:
    """Whether two rates' intervals overlap (touching counts as overlapping)."""
    return not (a.low is not None and b.low is not None and (a.high < b.low or b.high < a.low))
