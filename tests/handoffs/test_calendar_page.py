"""The business calendar page (/handoffs/calendar/; docs/rules.md §8): managers read it, admins change the hours,
the working weekdays, the Japanese holidays and the extra closed days (validated, versioned, audited); an SLA is
counted across nights, weekends, Japanese holidays and the closed days."""

import datetime as dt

import pytest
from django.urls import reverse

from core.models import AuditEntry, BusinessSettings, ClosedDay, User
from core.settings_services import business_settings_update, closed_day_add
from engine.pipeline import EngineConfig
from handoffs.calendar import BusinessCalendar, sla_due_at
from tests.handoffs.helpers import at
from tests.web.access import ALL_ROLES, assert_page_access

pytestmark = pytest.mark.django_db

SETTINGS = {"action": "save_settings", "workday_start": "09:00", "workday_end": "18:00",
            "working_weekdays": ["1", "2", "3", "4", "5"], "japanese_holidays_off": "on", "version": "1"}


def login(client, user) -> None:
    User.objects.filter(pk=user.pk).update(language="en")
    client.force_login(user)


# --- the SLA on the calendar ------------------------------------------------------------------------------------------

def due(start: dt.date, hours: int) -> dt.datetime:
    return sla_due_at(start=start, business_hours=hours, calendar=BusinessCalendar.load())


def test_a_closed_day_is_skipped_like_a_holiday(admin_user):
    friday = dt.date(2026, 7, 17)  # Mon 07-20 is Marine Day
    assert due(friday, 8) == at(2026, 7, 17, 17) and due(friday, 16) == at(2026, 7, 21, 16)
    closed_day_add(actor=admin_user, date=dt.date(2026, 7, 17), name="Founders' day")
    closed_day_add(actor=admin_user, date=dt.date(2026, 7, 21), name="Inventory")
    # Fri closed, Sat–Sun, Mon holiday, Tue closed: the clock starts Wednesday 09:00 and runs over the night.
    assert due(friday, 8) == at(2026, 7, 22, 17)
    assert due(friday, 16) == at(2026, 7, 23, 16)


def test_a_closed_day_on_a_weekend_or_holiday_changes_nothing(admin_user):
    closed_day_add(actor=admin_user, date=dt.date(2026, 7, 18), name="Saturday event")
    closed_day_add(actor=admin_user, date=dt.date(2026, 7, 20), name="Also Marine Day")
    assert due(dt.date(2026, 7, 17), 16) == at(2026, 7, 21, 16)


def test_the_calendar_loads_with_its_closed_days_in_one_query(admin_user, django_assert_num_queries):
    BusinessSettings.load()
    closed_day_add(actor=admin_user, date=dt.date(2026, 12, 29), name="Year end")
    closed_day_add(actor=admin_user, date=dt.date(2026, 12, 30), name="Year end")
    with django_assert_num_queries(1):
        calendar = BusinessCalendar.load()
    assert calendar.closed_days == {dt.date(2026, 12, 29), dt.date(2026, 12, 30)}
    assert not calendar.is_business_day(dt.date(2026, 12, 29)) and calendar.is_business_day(dt.date(2026, 12, 28))
    ClosedDay.objects.all().delete()
    with django_assert_num_queries(1):
        assert BusinessCalendar.load().closed_days == frozenset()


def test_the_night_reads_the_closed_days(admin_user):
    closed_day_add(actor=admin_user, date=dt.date(2026, 8, 14), name="Obon")
    assert dt.date(2026, 8, 14) in EngineConfig.load().calendar.closed_days


# --- who may ----------------------------------------------------------------------------------------------------------

def test_managers_read_the_calendar_and_only_admins_change_it(client, personas):
    assert_page_access(client, personas, reverse("handoffs:calendar"), ("manager", "admin"))
    add = {"action": "add_day", "date": "2026-12-31", "name": "Year end"}
    for data in (SETTINGS, add):
        for role in ALL_ROLES:
            if role == "admin":
                continue
            client.force_login(personas[role])
            assert client.post(reverse("handoffs:calendar"), data).status_code == 403, role
    assert not ClosedDay.objects.exists() and BusinessSettings.load().version == 1
    login(client, personas["manager"])
    html = client.get(reverse("handoffs:calendar")).content.decode()
    assert "Only admins change the calendar" in html and 'name="workday_start"' not in html
    assert "09:00–18:00" in html and "Monday" in html and "Saturday" not in html


def test_removing_a_closed_day_is_for_admins_and_asks_first(client, personas, admin_user):
    day = closed_day_add(actor=admin_user, date=dt.date(2026, 12, 31), name="Year end")
    url = reverse("handoffs:calendar-day-delete", args=[day.pk])
    assert_page_access(client, personas, url, ("admin",))
    client.force_login(personas["manager"])
    assert client.post(url).status_code == 403 and ClosedDay.objects.filter(pk=day.pk).exists()
    login(client, admin_user)
    assert "Remove 2026-12-31 (Year end)" in client.get(url).content.decode()
    assert ClosedDay.objects.filter(pk=day.pk).exists()
    assert client.post(url).status_code == 302 and not ClosedDay.objects.filter(pk=day.pk).exists()
    assert AuditEntry.objects.filter(action="closed_day.remove", actor=admin_user,
                                     before={"date": "2026-12-31", "name": "Year end"}).exists()


# --- changing it ------------------------------------------------------------------------------------------------------

def test_an_admin_changes_hours_and_days_and_it_is_audited(client, admin_user):
    login(client, admin_user)
    response = client.post(reverse("handoffs:calendar"), dict(
        SETTINGS, workday_start="10:00", workday_end="17:30", working_weekdays=["1", "2", "3", "4", "5", "6"],
        japanese_holidays_off=""))
    assert response.status_code == 302
    row = BusinessSettings.load()
    assert (row.workday_start, row.workday_end, row.working_weekdays, row.japanese_holidays_off, row.version) == (
        dt.time(10), dt.time(17, 30), [1, 2, 3, 4, 5, 6], False, 2)
    entry = AuditEntry.objects.get(action="business_settings.update")
    assert entry.actor == admin_user and entry.after["workday_start"] == "10:00:00"
    calendar = BusinessCalendar.load()
    assert calendar.is_business_day(dt.date(2026, 7, 18)) and calendar.is_business_day(dt.date(2026, 7, 20))


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"workday_start": "18:00", "workday_end": "09:00"}, "workday_end", "must end after it starts"),
    ({"workday_end": "09:00"}, "workday_end", "must end after it starts"),
    ({"working_weekdays": []}, "working_weekdays", "at least one working weekday"),
    ({"working_weekdays": ["8"]}, "working_weekdays", "Select a valid choice"),
    ({"workday_start": "25:00"}, "workday_start", "Enter a valid time"),
])
def test_a_bad_calendar_is_refused_naming_the_field(client, admin_user, change, field, message):
    login(client, admin_user)
    response = client.post(reverse("handoffs:calendar"), dict(SETTINGS, **change))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert message in response.content.decode()
    row = BusinessSettings.load()
    assert (row.workday_start, row.workday_end, row.working_weekdays, row.version) == (
        dt.time(9), dt.time(18), [1, 2, 3, 4, 5], 1)


def test_a_stale_calendar_save_says_who_changed_it_and_keeps_the_input(client, admin_user, personas):
    other = User.objects.create(username="otto", role="admin")
    business_settings_update(actor=other, changes={"workday_end": dt.time(17)}, expected_version=1)
    login(client, admin_user)
    response = client.post(reverse("handoffs:calendar"), dict(SETTINGS, workday_start="08:00"))
    assert response.status_code == 409
    html = response.content.decode()
    assert "otto" in html and "Business day ends" in html and 'value="08:00"' in html
    row = BusinessSettings.load()
    assert (row.workday_start, row.workday_end, row.version) == (dt.time(9), dt.time(17), 2)


def test_an_admin_adds_closed_days_and_a_day_already_closed_is_refused(client, admin_user):
    login(client, admin_user)
    add = {"action": "add_day", "date": "2026-12-29", "name": "Year-end closing"}
    assert client.post(reverse("handoffs:calendar"), add).status_code == 302
    assert list(ClosedDay.objects.values_list("date", "name")) == [(dt.date(2026, 12, 29), "Year-end closing")]
    again = client.post(reverse("handoffs:calendar"), dict(add, name="Twice"))
    assert again.status_code == 400 and "2026-12-29 is already a closed day" in again.content.decode()
    empty = client.post(reverse("handoffs:calendar"), {"action": "add_day", "date": "2026-12-30", "name": ""})
    assert empty.status_code == 400 and "name" in empty.context["day_form"].errors
    bad = client.post(reverse("handoffs:calendar"), {"action": "add_day", "date": "2026-13-01", "name": "x"})
    assert bad.status_code == 400 and "date" in bad.context["day_form"].errors
    assert ClosedDay.objects.count() == 1
    page = client.get(reverse("handoffs:calendar")).content.decode()
    assert "2026-12-29" in page and "Year-end closing" in page
    assert AuditEntry.objects.filter(action="closed_day.add", actor=admin_user).count() == 1


def test_the_page_lists_the_holidays_and_closed_days_ahead(client, manager, admin_user, monkeypatch,
                                                          django_assert_max_num_queries):
    import handoffs.rules_views as views
    monkeypatch.setattr(views, "business_today", lambda: dt.date(2026, 7, 15))
    closed_day_add(actor=admin_user, date=dt.date(2026, 7, 21), name="Inventory")
    login(client, manager)
    with django_assert_max_num_queries(8):
        html = client.get(reverse("handoffs:calendar")).content.decode()
    ahead = html.split('class="days-ahead"', 1)[1].split("</ul>", 1)[0]
    assert "2026-07-20 (Mon) · Marine Day" in ahead and "2026-07-21 (Tue) · Inventory" in ahead
    assert ahead.index("Marine Day") < ahead.index("Inventory") and "2026-08-11" in ahead  # Mountain Day
    assert "2026-10-12" in ahead and "2026-11-03" not in ahead  # Sports Day is the 90th day; Culture Day beyond
    User.objects.filter(pk=manager.pk).update(language="ja")
    assert "海の日" in client.get(reverse("handoffs:calendar")).content.decode()
    BusinessSettings.objects.filter(pk=1).update(japanese_holidays_off=False)
    ahead = client.get(reverse("handoffs:calendar")).content.decode().split('class="days-ahead"', 1)[1]
    assert "海の日" not in ahead.split("</ul>", 1)[0] and "Inventory" in ahead


# --- a calendar change moves the deadlines of pending handoffs ---------------------------------------------------------

def test_closing_a_day_moves_the_deadline_of_pending_handoffs_only(admin_user):
    from tests.handoffs.helpers import make_handoff

    waiting = make_handoff(rule=2, created_on=dt.date(2026, 7, 17))
    breached = make_handoff(rule=2, created_on=dt.date(2026, 7, 17), sla_breached=True)
    decided = make_handoff(rule=2, created_on=dt.date(2026, 7, 17), status="accepted")
    hours = waiting.sla_business_hours
    before = {h.pk: (h.due_at, h.escalate_at) for h in (waiting, breached, decided)}

    closed_day_add(actor=admin_user, date=dt.date(2026, 7, 17), name="Founders' day")

    for handoff in (waiting, breached, decided):
        handoff.refresh_from_db()
    assert waiting.due_at == due(dt.date(2026, 7, 17), hours) != before[waiting.pk][0]
    assert waiting.escalate_at == due(dt.date(2026, 7, 17), 2 * hours) != before[waiting.pk][1]
    assert breached.due_at == before[breached.pk][0]  # its SLA alert was raised on the old deadline
    assert breached.escalate_at == waiting.escalate_at  # not escalated yet: the escalation still moves
    assert (decided.due_at, decided.escalate_at) == before[decided.pk]


def test_changing_the_hours_or_reopening_a_day_recounts_them_too(admin_user):
    """Business hours 10:00–18:00: 8 h from Friday 07-17 end at its close; closing it moves them to Tuesday."""
    from core.settings_services import closed_day_remove
    from tests.handoffs.helpers import make_handoff

    waiting = make_handoff(rule=2, created_on=dt.date(2026, 7, 17))
    nine_to_six = waiting.due_at
    business_settings_update(actor=admin_user, changes={"workday_start": dt.time(10, 0)})
    waiting.refresh_from_db()
    assert waiting.due_at == due(dt.date(2026, 7, 17), 8) == at(2026, 7, 17, 18) != nine_to_six

    day = closed_day_add(actor=admin_user, date=dt.date(2026, 7, 17), name="Founders' day")
    waiting.refresh_from_db()
    assert waiting.due_at == at(2026, 7, 21, 18)  # Mon 07-20 is Marine Day
    closed_day_remove(actor=admin_user, closed_day_id=day.pk)
    waiting.refresh_from_db()
    assert waiting.due_at == at(2026, 7, 17, 18)


def test_an_escalated_handoff_keeps_its_escalation_time_and_the_recount_counts_the_deadlines_moved(admin_user):
    from handoffs.models import Handoff
    from handoffs.services import pending_due_times_recount
    from tests.handoffs.helpers import make_handoff

    waiting = make_handoff(rule=2, created_on=dt.date(2026, 7, 17))
    escalated = make_handoff(rule=2, created_on=dt.date(2026, 7, 17), escalated=True)
    other_day = make_handoff(rule=2, created_on=dt.date(2026, 7, 16), sla_breached=True)
    escalated_at = escalated.escalate_at

    closed_day_add(actor=admin_user, date=dt.date(2026, 7, 17), name="Founders' day")

    escalated.refresh_from_db()
    waiting.refresh_from_db()
    assert escalated.escalate_at == escalated_at != waiting.escalate_at  # it was escalated on the old time
    assert escalated.due_at == waiting.due_at  # its SLA alert not raised yet: the deadline moves
    assert pending_due_times_recount() == 2  # the deadlines of the two not breached, the breached one's kept
    assert Handoff.objects.get(pk=other_day.pk).due_at == other_day.due_at
