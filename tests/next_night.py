"""The real next night, run and rolled back: what the previews of the next night (engine.preview, standards.whatif)
are held to. `first_night` is the dataset their contract tests share: the night of D run, then changes before D1."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

import pytest
from django.db import transaction

from engine.services import recompute_all
from tests.engine import nights

D = nights.D
D1 = D + dt.timedelta(days=1)
T = TypeVar("T")


class _RollBack(Exception):
    pass


def night_rolled_back(as_of: dt.date, *, read: Callable[[], T], save: Callable[[], object] | None = None) -> T:
    """What `read()` finds after the night of `as_of` — run after `save()` when given — with all of it rolled back."""
    found: list[T] = []
    try:
        with transaction.atomic():
            if save is not None:
                save()
            recompute_all(as_of=as_of)
            found.append(read())
            raise _RollBack
    except _RollBack:
        pass
    return found[0]


@pytest.fixture
def first_night():
    nights.seed_configuration()
    nights.build(accounts=40, seed=11)
    recompute_all(as_of=D)
    # Between the nights: new touches and hot leads (states that change tomorrow anyway).
    nights.change(on=D1, every=4)
