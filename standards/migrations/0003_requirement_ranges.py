"""A requirement's window is 1–3,650 days and its minimum touches 1–1,000, in the database too.

A value stored outside these bounds (the API used to take any) made the nightly run fail; it is brought to the
nearest bound before the constraints are added, so the next night runs."""

import core.validators
import django.core.validators
from django.db import migrations, models
from django.db.models.functions import Greatest, Least


RANGES = {"min_count": (1, 1000), "window_days": (1, 3650)}


def clamp_into_range(apps, schema_editor):
    # One UPDATE: on PostgreSQL a row updated twice in this transaction would leave a foreign-key check pending,
    # and the constraints below could not be added.
    Requirement = apps.get_model("standards", "Requirement")
    outside = models.Q()
    for field, (low, high) in RANGES.items():
        outside |= models.Q(**{f"{field}__lt": low}) | models.Q(**{f"{field}__gt": high})
    Requirement.objects.using(schema_editor.connection.alias).filter(outside).update(**{
        field: Greatest(Least(models.F(field), high), low) for field, (low, high) in RANGES.items()})


class Migration(migrations.Migration):

    dependencies = [
        ('standards', '0002_default_standards'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='requirement',
            name='requirement_min_count_positive',
        ),
        migrations.RemoveConstraint(
            model_name='requirement',
            name='requirement_window_positive',
        ),
        migrations.AlterField(
            model_name='requirement',
            name='min_count',
            field=models.PositiveIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(1000)], verbose_name='minimum touches'),
        ),
        migrations.AlterField(
            model_name='requirement',
            name='performer_roles',
            field=models.JSONField(blank=True, default=list, validators=[core.validators.ChoiceListValidator(['admin', 'manager', 'csm', 'sales', 'inside_sales', 'marketing', 'executive'])], verbose_name='performer roles'),
        ),
        migrations.AlterField(
            model_name='requirement',
            name='window_days',
            field=models.PositiveIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(3650)], verbose_name='window (days)'),
        ),
        migrations.RunPython(clamp_into_range, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name='requirement',
            constraint=models.CheckConstraint(condition=models.Q(('min_count__gte', 1), ('min_count__lte', 1000)), name='requirement_min_count_range', violation_error_message='Minimum touches must be between 1 and 1000.'),
        ),
        migrations.AddConstraint(
            model_name='requirement',
            constraint=models.CheckConstraint(condition=models.Q(('window_days__gte', 1), ('window_days__lte', 3650)), name='requirement_window_days_range', violation_error_message='The window must be between 1 and 3650 days.'),
        ),
    ]
