"""A touch's channel is one of the choices or empty, in the database too.

Touches already stored with another channel stop the migration with the channels named (until now the CSV import
took any text): map them to a choice (or clear them), then migrate again."""

from django.conf import settings
from django.db import migrations, models


CHANNELS = ["", "visit", "phone", "online_meeting", "email", "seminar", "webinar", "newsletter", "web_visit", "ad",
            "other"]


def touches_with_unknown_channels(apps, schema_editor):
    Touch = apps.get_model("contacts", "Touch")
    unknown = (Touch.objects.using(schema_editor.connection.alias).exclude(channel__in=CHANNELS)
               .values_list("channel", flat=True).distinct().order_by("channel")[:20])
    if unknown:
        raise RuntimeError("Touches have channels that are not among the choices; map them to one of "
                           f"{', '.join(CHANNELS[1:])} (or clear them), then migrate again: {', '.join(unknown)}")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_field_rules'),
        ('contacts', '0003_touch_index_with_role'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(touches_with_unknown_channels, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name='touch',
            constraint=models.CheckConstraint(condition=models.Q(('channel__in', ['', 'visit', 'phone', 'online_meeting', 'email', 'seminar', 'webinar', 'newsletter', 'web_visit', 'ad', 'other'])), name='touch_channel_in_choices', violation_error_message='Unknown channel.'),
        ),
    ]
