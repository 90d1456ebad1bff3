"""A handoff rule's SLA is 1–2,000 business hours, in the database too.

A value stored outside these bounds (the API used to take any) made the nightly run fail; it is brought to the
nearest bound before the constraint is added, so the next night runs."""

import core.validators
import django.core.validators
from django.db import migrations, models
from django.db.models.functions import Greatest, Least


def clamp_into_range(apps, schema_editor):
    # One UPDATE: on PostgreSQL a row updated twice in this transaction would leave a foreign-key check pending,
    # and the constraint below could not be added.
    rules = apps.get_model("handoffs", "HandoffRule").objects.using(schema_editor.connection.alias)
    rules.filter(models.Q(sla_business_hours__lt=1) | models.Q(sla_business_hours__gt=2000)).update(
        sla_business_hours=Greatest(Least(models.F("sla_business_hours"), 2000), 1))


class Migration(migrations.Migration):

    dependencies = [
        ('handoffs', '0002_default_rules'),
    ]

    operations = [
        migrations.AlterField(
            model_name='handoffrule',
            name='from_states',
            field=models.JSONField(blank=True, default=list, validators=[core.validators.ChoiceListValidator(['ONBOARDING', 'LOYAL', 'ACTIVE', 'NEGOTIATION', 'CHURNED', 'HOT_LEAD', 'HIGH_POTENTIAL_LEAD', 'LEAD', 'TARGET_NO_LEAD', 'OUT_OF_SCOPE'])]),
        ),
        migrations.AlterField(
            model_name='handoffrule',
            name='sla_business_hours',
            field=models.PositiveIntegerField(default=24, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(2000)]),
        ),
        migrations.RunPython(clamp_into_range, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name='handoffrule',
            constraint=models.CheckConstraint(condition=models.Q(('sla_business_hours__gte', 1), ('sla_business_hours__lte', 2000)), name='handoff_rule_sla_hours_range', violation_error_message='The SLA must be between 1 and 2000 business hours.'),
        ),
    ]
