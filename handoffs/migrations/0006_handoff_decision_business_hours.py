"""The business hours from a handoff's start to its decision, kept on the handoff when it is decided (docs/rules.md
§8, "Handoff feedback"): the field, filled here for the handoffs decided before, with the business calendar of the
settings (handoffs.calendar)."""

import datetime as dt
import zoneinfo

from django.db import migrations, models

BATCH = 2000


def _calendar(apps):
    from handoffs.calendar import BusinessCalendar

    settings = apps.get_model("core", "BusinessSettings").objects.filter(id=1).first()
    if settings is None:
        return BusinessCalendar(zone=zoneinfo.ZoneInfo("Asia/Tokyo"))
    return BusinessCalendar(
        zone=zoneinfo.ZoneInfo(settings.time_zone), workday_start=settings.workday_start,
        workday_end=settings.workday_end, working_weekdays=frozenset(settings.working_weekdays or (1, 2, 3, 4, 5)),
        japanese_holidays_off=settings.japanese_holidays_off)


def fill_decision_hours(apps, schema_editor):
    from handoffs.calendar import business_hours_between

    Handoff = apps.get_model("handoffs", "Handoff")
    calendar = _calendar(apps)
    decided = (Handoff.objects.filter(status__in=("accepted", "rejected"), decided_at__isnull=False,
                                      decision_business_hours__isnull=True)
               .only("id", "created_on", "decided_at").order_by("id"))
    last = 0
    while batch := list(decided.filter(id__gt=last)[:BATCH]):  # pages by id: no open cursor while writing
        for handoff in batch:
            begins = dt.datetime.combine(handoff.created_on, dt.time(0), tzinfo=calendar.zone)
            handoff.decision_business_hours = business_hours_between(start=begins, end=handoff.decided_at,
                                                                     calendar=calendar)
        Handoff.objects.bulk_update(batch, ["decision_business_hours"])
        last = batch[-1].id


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0004_businesssettings_version"),
        ("handoffs", "0005_handoff_alerts_and_feedback_facts"),
    ]

    operations = [
        migrations.AddField(
            model_name="handoff",
            name="decision_business_hours",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.RunPython(fill_decision_hours, migrations.RunPython.noop),
    ]
