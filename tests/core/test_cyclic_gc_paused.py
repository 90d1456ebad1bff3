"""Bulk steps run with Python's cyclic collector paused, and leave it as they found it."""

import datetime as dt
import gc

import pytest

from core.bulk import cyclic_gc_paused
from engine import pipeline
from engine.pipeline import AccountSelection, recompute_selection
from tests.factories import AccountFactory


@pytest.fixture
def collector_enabled():
    was_enabled = gc.isenabled()
    gc.enable()
    yield
    if not was_enabled:
        gc.disable()


def test_the_collector_is_off_inside_and_on_again_after_even_when_the_step_fails(collector_enabled):
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), cyclic_gc_paused():
        1 / 0
    assert gc.isenabled()


def test_a_collector_already_off_stays_off(collector_enabled):
    gc.disable()
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


@pytest.mark.django_db
def test_a_chunk_is_evaluated_with_the_collector_paused(collector_enabled, monkeypatch):
    account = AccountFactory()
    seen = []
    read_accounts = pipeline._read_accounts

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return read_accounts(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_read_accounts", spy)
    recompute_selection(selection=AccountSelection(ids=(account.id,)), as_of=dt.date(2026, 7, 1))
    assert seen == [False]
    assert gc.isenabled()
