"""The state rules' thresholds within their ranges, in the database too: day counts 1–3,650, won deals 1–1,000,
a lead score or ICP fit 0–100.

A value stored outside these bounds is brought to the nearest bound before the constraints are added."""

import django.core.validators
from django.conf import settings
from django.db import migrations, models
from django.db.models.functions import Greatest, Least


DAYS, WON_DEALS, PERCENT = (1, 3650), (1, 1000), (0, 100)
RANGES = {"churn_after_days": DAYS, "onboarding_days": DAYS, "loyal_min_tenure_days": DAYS,
          "loyal_min_won_deals": WON_DEALS, "hot_lead_min_score": PERCENT, "high_potential_min_fit": PERCENT}


def clamp_into_range(apps, schema_editor):
    # One UPDATE: on PostgreSQL a row updated twice in this transaction would leave a foreign-key check pending,
    # and the constraints below could not be added.
    thresholds = apps.get_model("segments", "StateThresholds").objects.using(schema_editor.connection.alias)
    outside = models.Q()
    for field, (low, high) in RANGES.items():
        outside |= models.Q(**{f"{field}__lt": low}) | models.Q(**{f"{field}__gt": high})
    thresholds.filter(outside).update(**{
        field: Greatest(Least(models.F(field), high), low) for field, (low, high) in RANGES.items()})


class Migration(migrations.Migration):

    dependencies = [
        ('segments', '0002_default_segments'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='statethresholds',
            name='churn_after_days',
            field=models.PositiveIntegerField(default=365, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(3650)], verbose_name='customer stays active for (days after last won deal)'),
        ),
        migrations.AlterField(
            model_name='statethresholds',
            name='high_potential_min_fit',
            field=models.PositiveSmallIntegerField(default=70, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)], verbose_name='high-potential lead: minimum ICP fit'),
        ),
        migrations.AlterField(
            model_name='statethresholds',
            name='hot_lead_min_score',
            field=models.PositiveSmallIntegerField(default=70, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)], verbose_name='hot lead: minimum lead score'),
        ),
        migrations.AlterField(
            model_name='statethresholds',
            name='loyal_min_tenure_days',
            field=models.PositiveIntegerField(default=730, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(3650)], verbose_name='loyal: minimum tenure (days)'),
        ),
        migrations.AlterField(
            model_name='statethresholds',
            name='loyal_min_won_deals',
            field=models.PositiveIntegerField(default=3, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(1000)], verbose_name='loyal: minimum won deals'),
        ),
        migrations.AlterField(
            model_name='statethresholds',
            name='onboarding_days',
            field=models.PositiveIntegerField(default=183, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(3650)], verbose_name='onboarding lasts (days)'),
        ),
        migrations.RunPython(clamp_into_range, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name='statethresholds',
            constraint=models.CheckConstraint(condition=models.Q(('churn_after_days__gte', 1), ('churn_after_days__lte', 3650)), name='state_thresholds_churn_after_days_range', violation_error_message='churn_after_days must be between 1 and 3650.'),
        ),
        migrations.AddConstraint(
            model_name='statethresholds',
            constraint=models.CheckConstraint(condition=models.Q(('onboarding_days__gte', 1), ('onboarding_days__lte', 3650)), name='state_thresholds_onboarding_days_range', violation_error_message='onboarding_days must be between 1 and 3650.'),
        ),
        migrations.AddConstraint(
            model_name='statethresholds',
            constraint=models.CheckConstraint(condition=models.Q(('loyal_min_tenure_days__gte', 1), ('loyal_min_tenure_days__lte', 3650)), name='state_thresholds_loyal_min_tenure_days_range', violation_error_message='loyal_min_tenure_days must be between 1 and 3650.'),
        ),
        migrations.AddConstraint(
            model_name='statethresholds',
            constraint=models.CheckConstraint(condition=models.Q(('loyal_min_won_deals__gte', 1), ('loyal_min_won_deals__lte', 1000)), name='state_thresholds_loyal_min_won_deals_range', violation_error_message='loyal_min_won_deals must be between 1 and 1000.'),
        ),
        migrations.AddConstraint(
            model_name='statethresholds',
            constraint=models.CheckConstraint(condition=models.Q(('hot_lead_min_score__gte', 0), ('hot_lead_min_score__lte', 100)), name='state_thresholds_hot_lead_min_score_range', violation_error_message='hot_lead_min_score must be between 0 and 100.'),
        ),
        migrations.AddConstraint(
            model_name='statethresholds',
            constraint=models.CheckConstraint(condition=models.Q(('high_potential_min_fit__gte', 0), ('high_potential_min_fit__lte', 100)), name='state_thresholds_high_potential_min_fit_range', violation_error_message='high_potential_min_fit must be between 0 and 100.'),
        ),
    ]
