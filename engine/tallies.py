"""The counts PostgreSQL triggers keep (migrations engine/0010 and 0014): each tally is a table of counts per key
and a table of the changes statements made to it, insert only, folded in by a run's last step.

Its current counts are the two tables together (`current_sql`); `engine.services.fold_tally_changes` folds the
changes in. The key columns and the unique key's name are read off the tally model, not written again here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from .models import EvaluationTally, EvaluationTallyChange, OpenAlertTally, OpenAlertTallyChange


@dataclass(frozen=True)
class Tally:
    model: type[models.Model]
    changes: type[models.Model]
    counted: str  # the counting column of both tables

    @property
    def _key(self) -> models.UniqueConstraint:
        (key,) = self.model._meta.constraints
        return key

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self._key.fields)

    @property
    def key_name(self) -> str:
        return self._key.name

    def current_sql(self) -> str:
        """A subquery of the tally's rows and its changes not folded in yet: its key columns and `counted`, a key
        possibly on several rows (sum them)."""
        columns = ", ".join((*self.keys, self.counted))
        return (f"(SELECT {columns} FROM {self.model._meta.db_table} "
                f"UNION ALL SELECT {columns} FROM {self.changes._meta.db_table})")


EVALUATIONS = Tally(EvaluationTally, EvaluationTallyChange, "accounts")
OPEN_ALERTS = Tally(OpenAlertTally, OpenAlertTallyChange, "alerts")
ALL = (EVALUATIONS, OPEN_ALERTS)
