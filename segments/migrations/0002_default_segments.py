from django.db import migrations

from segments.defaults import DEFAULT_SEGMENTS


def load(apps, schema_editor):
    Segment = apps.get_model("segments", "Segment")
    for code, order, name_en, name_ja, purpose_en, purpose_ja in DEFAULT_SEGMENTS:
        Segment.objects.update_or_create(
            code=code,
            defaults=dict(order=order, name_en=name_en, name_ja=name_ja, purpose_en=purpose_en, purpose_ja=purpose_ja),
        )
    apps.get_model("segments", "StateThresholds").objects.get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [("segments", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
