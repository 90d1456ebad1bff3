import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from contacts.domain import touch_natural_key
from contacts.services import touch_log
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def test_a_naive_time_is_business_local_and_the_performer_role_is_recorded(sales):
    account = AccountFactory()
    touch, created = touch_log(actor=sales, account=account, kind="human", channel="phone",
                               occurred_at=dt.datetime(2026, 3, 1, 0, 30))
    assert created
    assert touch.performer == sales and touch.performer_role == sales.role
    assert touch.occurred_on == dt.date(2026, 3, 1)  # 00:30 local, not the UTC date before


def test_the_same_touch_logged_twice_is_stored_once(sales):
    account = AccountFactory()
    at = dt.datetime(2026, 3, 1, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    first, _ = touch_log(actor=sales, account=account, kind="human", channel="phone", occurred_at=at)
    again, created = touch_log(actor=sales, account=account, kind="human", channel="phone", occurred_at=at)
    assert not created and again.pk == first.pk
    assert first.natural_key == touch_natural_key(account.id, at, "human", "phone", sales.username)
