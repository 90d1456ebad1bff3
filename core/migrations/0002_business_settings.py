from django.db import migrations


def load(apps, schema_editor):
    apps.get_model("core", "BusinessSettings").objects.get_or_create(id=1, defaults={"working_weekdays": [1, 2, 3, 4, 5]})


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
