"""Touch identity (docs/api.md §2): without an external id, a touch is the same touch when account,
instant, kind, channel and performer are the same."""

from __future__ import annotations

import datetime as dt
import hashlib


def touch_natural_key(account_id: int, occurred_at: dt.datetime, kind: str, channel: str, performer_username: str | None) -> str:
    instant = occurred_at.astimezone(dt.timezone.utc).isoformat()
    raw = "|".join([str(account_id), instant, kind or "", channel or "", performer_username or ""])
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()
