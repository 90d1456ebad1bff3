"""Conflict-safe saves of configuration objects (docs/api.md §5, "Versions and conflicts").

Every edited configuration object carries a `version`, raised by one on every save that changes it, under a row
lock in the save's transaction (compare-and-set). A save that names the version its editor started from is
refused with `StaleVersion` when the object has moved on since; what changed meanwhile, by whom and when, is read
from the audit entries, whose `after` records the version each write made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import AuditEntry


@dataclass(frozen=True)
class Change:
    """One audited write of an object: who, when, the version it made and the fields it changed."""

    actor: str
    at: dt.datetime
    version: int | None
    fields: tuple[str, ...]

    def as_json(self) -> dict:
        return {"by": self.actor, "at": self.at.isoformat(), "version": self.version, "fields": list(self.fields)}


class StaleVersion(ValidationError):
    """The object changed since the editor read it: nothing was saved.

    A ValidationError, so a caller that does not look for it still answers 400, never 500; the API answers 412
    (core.api.versioning) and the pages re-show the form with `conflict_message`.
    """

    def __init__(self, *, label: str, expected: int, current: int, changes: list[Change]):
        self.label, self.expected, self.current, self.changes = label, expected, current, changes
        super().__init__(f"{label} changed since version {expected} (now {current}).", code="stale")


class StaleVersions(ValidationError):
    """Several objects saved together (the standards editor's states) changed since they were read."""

    def __init__(self, conflicts: list[StaleVersion]):
        self.conflicts = conflicts
        super().__init__([c.messages[0] for c in conflicts], code="stale")


def changed_fields(before: object, after: object) -> tuple[str, ...]:
    if not isinstance(after, dict):
        return ()
    before = before if isinstance(before, dict) else {}
    return tuple(k for k in after if k != "version" and before.get(k) != after.get(k))


def changes_since(*, object_type: str, object_id: str, version: int) -> list[Change]:
    """The audited writes of one object that made a version above `version`, oldest first (the latest 20)."""
    entries = reversed(AuditEntry.objects.filter(object_type=object_type, object_id=object_id,
                                                 after__version__gt=version)
                       .select_related("actor").order_by("-created_at", "-id")[:20])
    return [Change(actor=(entry.actor.username if entry.actor else "—"), at=entry.created_at,
                   version=(entry.after or {}).get("version"), fields=changed_fields(entry.before, entry.after))
            for entry in entries]


def check_version(*, current: int, expected: int | None, label: str, object_type: str, object_id: str) -> None:
    """Refuse (StaleVersion) when `expected` is given and is not `current`; None means "no check" (docs/api.md §5)."""
    if expected is not None and int(expected) != int(current):
        raise StaleVersion(label=label, expected=int(expected), current=int(current),
                           changes=changes_since(object_type=object_type, object_id=object_id, version=int(expected)))


def conflict_messages(exc: StaleVersion | StaleVersions) -> list[str]:
    return [conflict_message(c) for c in (exc.conflicts if isinstance(exc, StaleVersions) else [exc])]


def conflict_message(exc: StaleVersion, *, labels: Mapping[str, str] | None = None) -> str:
    """The page's message: what changed since the form was opened, by whom and when (fields named by `labels`,
    e.g. the form's); nothing was saved."""
    labels = labels or {}
    if exc.changes:
        done = "; ".join(
            _("%(who)s at %(when)s (version %(version)s)") % {
                "who": change.actor, "when": formats.date_format(timezone.localtime(change.at), "Y-m-d H:i"),
                "version": change.version}
            + (f" — {', '.join(str(labels.get(f, f)) for f in change.fields)}" if change.fields else "")
            for change in exc.changes)
    else:
        done = ngettext("%(n)d change", "%(n)d changes", exc.current - exc.expected) % {"n": exc.current - exc.expected}
    return _("%(object)s was changed by someone else since you opened this form: %(changes)s. Nothing was saved; "
             "your input is kept below — compare it with the current values (reload the page) and save again.") % {
        "object": exc.label, "changes": done}
