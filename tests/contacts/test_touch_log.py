import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from contacts.domain import touch_natural_key
from contacts.services import touch_log, touch_log_many
from core.models import AuditEntry
from core.timeutil import business_today
from engine.models import Alert
from engine.services import recompute_all
from tests.factories import AccountFactory, OpportunityFactory

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


def test_logging_a_touch_writes_an_audit_row_and_returns_the_alerts_it_closed(sales):
    account = AccountFactory(owner_sales=sales)
    OpportunityFactory(account=account, opened_on=business_today() - dt.timedelta(days=3), status="open")
    recompute_all(as_of=business_today())
    alert = Alert.objects.get(account=account, status=Alert.Status.OPEN)

    logged = touch_log(actor=sales, account=account, kind="human", channel="visit")
    assert logged.created and [a.pk for a in logged.closed_alerts] == [alert.pk]
    assert logged.closed_alerts[0].status == Alert.Status.RESOLVED
    entry = AuditEntry.objects.get(action="touch.log")
    assert (entry.actor, entry.object_type, entry.object_id) == (sales, "touch", str(logged.touch.pk))
    assert entry.after["account"] == account.external_id and entry.after["kind"] == "human"

    again = touch_log(actor=sales, account=account, kind="human", channel="visit", occurred_at=logged.touch.occurred_at)
    assert (again.created, again.closed_alerts, again.touch.pk) == (False, (), logged.touch.pk)
    assert AuditEntry.objects.filter(action="touch.log").count() == 1  # nothing stored, nothing audited


def test_a_touch_that_closes_nothing_returns_no_alerts_but_is_audited(marketer):
    # A marketer's campaign touch, without a performer: their own role (a sales rep may not record it: test_recorded_by).
    logged = touch_log(actor=marketer, account=AccountFactory(), kind="digital", performer_role="marketing")
    assert logged.created and logged.closed_alerts == ()
    assert AuditEntry.objects.filter(action="touch.log", object_id=str(logged.touch.pk)).exists()


def test_a_list_of_touches_is_audited_touch_by_touch_and_returns_what_it_closed(sales):
    account = AccountFactory(owner_sales=sales, external_id="ACC-9")
    OpportunityFactory(account=account, opened_on=business_today() - dt.timedelta(days=3), status="open")
    recompute_all(as_of=business_today())
    alert = Alert.objects.get(account=account, status=Alert.Status.OPEN)
    at = dt.datetime.combine(business_today(), dt.time(10), tzinfo=ZoneInfo("Asia/Tokyo"))
    items = [{"account_external_id": "ACC-9", "occurred_at": at, "kind": "human", "channel": "visit"},
             {"account_external_id": "ACC-9", "occurred_at": at, "kind": "digital", "performer_role": "sales"}]
    logged = touch_log_many(actor=sales, items=items)
    assert [created for _touch, created in logged.results] == [True, True]
    assert [a.pk for a in logged.closed_alerts] == [alert.pk]
    assert AuditEntry.objects.filter(action="touch.log").count() == 2
