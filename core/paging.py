"""Keyset paging for list pages: "rows after this one" in a fixed total order, never OFFSET or COUNT.

A page's link carries the last row's sort values as an opaque cursor; the next page is the rows strictly after
them. The order must be total (end the keys with the primary key) and served by an index for the page to stay
cheap at any depth. Used by Today, the managers' alert list and the accounts list.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

# (field, descending?) in sort order; a double underscore follows a relation.
Keys = tuple[tuple[str, bool], ...]

PAGE_SIZE = 50


@dataclass
class Page:
    items: list
    next_cursor: str | None


def order_by_keys(qs: QuerySet, keys: Keys) -> QuerySet:
    return qs.order_by(*[("-" if desc else "") + name for name, desc in keys])


def keyset_filter(qs: QuerySet, keys: Keys, values: list[Any]) -> QuerySet:
    """Rows strictly after `values` in the order given by `keys` (no OFFSET, no COUNT)."""
    condition = Q()
    for i, (name, desc) in enumerate(keys):
        step = Q(**{f"{name}__{'lt' if desc else 'gt'}": values[i]})
        for j in range(i):
            step &= Q(**{keys[j][0]: values[j]})
        condition |= step
    return qs.filter(condition)


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, dt.date) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, size: int) -> list[Any] | None:
    """The cursor's values, or None when it is not one of ours (a stale or edited link starts over)."""
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError):
        return None
    if not isinstance(values, list) or len(values) != size:
        return None
    if not all(isinstance(v, (int, str)) and not isinstance(v, bool) for v in values):
        return None
    return values


def cursor_values(obj: Any, keys: Keys) -> list[Any]:
    out = []
    for name, _desc in keys:
        value: Any = obj
        for part in name.split("__"):
            value = getattr(value, part)
        out.append(value)
    return out


def page_of(qs: QuerySet, *, keys: Keys, cursor: str | None, size: int = PAGE_SIZE) -> Page:
    """One page in keyset order (`qs` already ordered by `keys`): fetches size+1 rows to know whether there is a
    next page."""
    if cursor:
        values = decode_cursor(cursor, len(keys))
        if values is not None:
            qs = keyset_filter(qs, keys, values)
    rows = list(qs[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    next_cursor = encode_cursor(cursor_values(rows[-1], keys)) if has_more and rows else None
    return Page(items=rows, next_cursor=next_cursor)
