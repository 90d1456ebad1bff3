"""core.bulk.array_literal: one PostgreSQL array literal whose elements come back exactly as given."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from core.bulk import array_literal
from core.choices import State


def test_elements_are_written_in_the_array_input_syntax():
    assert array_literal([1, None, 3]) == "{1,NULL,3}"
    assert array_literal([dt.date(2026, 7, 20), None]) == "{2026-07-20,NULL}"
    assert array_literal([True, False]) == "{t,f}"
    assert array_literal(['a "b"', "c\\d", "NULL", ""]) == '{"a \\"b\\"","c\\\\d","NULL",""}'
    assert array_literal([]) == "{}"
    assert array_literal(["a", "b"]) == '{"a","b"}'
    assert array_literal(["a", None]) == '{"a",NULL}'
    assert array_literal([dt.datetime(2026, 7, 20, 9, 30, tzinfo=dt.timezone.utc)]) == "{2026-07-20T09:30:00+00:00}"


def test_whole_columns_of_numbers_dates_or_plain_text_are_joined_without_quoting_each_element(monkeypatch):
    import core.bulk

    def element_by_element(value):
        raise AssertionError(f"{value!r} was quoted on its own")

    monkeypatch.setattr(core.bulk, "_array_element", element_by_element)
    assert array_literal([1, None, 2]) == "{1,NULL,2}"
    assert array_literal([dt.date(2026, 7, 20), None]) == "{2026-07-20,NULL}"
    assert array_literal(["covered", "", State.ACTIVE]) == '{"covered","","ACTIVE"}'
    with pytest.raises(AssertionError):  # a quote inside a value is escaped element by element
        array_literal(['a "b"', "c"])


def test_text_choices_are_written_as_their_values():

    assert array_literal([State.ACTIVE, "x"]) == '{"ACTIVE","x"}'
    assert array_literal([State.ACTIVE, 'q"']) == '{"ACTIVE","q\\""}'


@pytest.mark.django_db
@pytest.mark.parametrize("values, pg_type", [
    ([1, None, 2**40], "bigint"),
    ([dt.date(2026, 7, 20), None], "date"),
    (["plain", 'quote " inside', "back\\slash", "comma, brace } { and space", "NULL", "", None, "日本語"], "text"),
    (["plain", "comma, brace } { and space", "NULL", "", "None", "日本語"], "text"),
    ([None, None], "text"),
    ([State.ACTIVE, "x"], "text"),
    ([dt.datetime(2026, 7, 20, 9, 30, tzinfo=dt.timezone.utc), None], "timestamptz"),
    ([Decimal("12.50"), None], "numeric"),
    ([True, None, False], "boolean"),
])
def test_postgresql_reads_back_every_element(require_postgres, values, pg_type):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT unnest(%s::{pg_type}[])", [array_literal(values)])
        assert [row[0] for row in cursor.fetchall()] == values
