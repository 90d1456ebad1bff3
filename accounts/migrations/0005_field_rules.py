"""Field rules on accounts and deals: corporate numbers, non-negative amounts, no deal closing before it opens.

Before the constraints are added, the rows already stored are checked: a row breaking a rule stops the migration
with the rows named (fix or clear them and migrate again), instead of a bare constraint error from the database.
Nothing is changed behind the owner's back: only the owner knows the right corporate number or date."""

import core.validators
import django.core.validators
from django.conf import settings
from django.db import migrations, models


def rows_breaking_the_rules(apps, schema_editor):
    Account = apps.get_model("accounts", "Account")
    Opportunity = apps.get_model("accounts", "Opportunity")
    accounts = Account.objects.using(schema_editor.connection.alias)
    deals = Opportunity.objects.using(schema_editor.connection.alias)
    found = {
        "accounts whose corporate number is not 13 digits":
            accounts.exclude(corporate_number="").exclude(corporate_number__regex=r"^[0-9]{13}$"),
        "accounts with a negative head count or amount": accounts.filter(
            models.Q(employees__lt=0) | models.Q(annual_revenue__lt=0) | models.Q(promo_budget__lt=0)
            | models.Q(avg_order_amount__lt=0)),
        "deals that close before they open": deals.filter(closed_on__lt=models.F("opened_on")),
        "deals with a negative amount": deals.filter(amount__lt=0),
    }
    problems = []
    for what, rows in found.items():
        ids = list(rows.order_by("id").values_list("external_id", flat=True)[:10])
        if ids:
            problems.append(f"{rows.count()} {what} (external ids {', '.join(ids)})")
    if problems:
        raise RuntimeError("Rows break the new field rules; correct them, then migrate again: " + "; ".join(problems))


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_account_name_trigram_index'),
        ('profiles', '0003_profileanalysis'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(rows_breaking_the_rules, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name='account',
            name='annual_revenue',
            field=models.BigIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(0)], verbose_name='annual revenue'),
        ),
        migrations.AlterField(
            model_name='account',
            name='avg_order_amount',
            field=models.BigIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(0)], verbose_name='average order amount'),
        ),
        migrations.AlterField(
            model_name='account',
            name='corporate_number',
            field=models.CharField(blank=True, max_length=13, validators=[core.validators.validate_corporate_number], verbose_name='corporate number'),
        ),
        migrations.AlterField(
            model_name='account',
            name='employees',
            field=models.IntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(0)], verbose_name='employees'),
        ),
        migrations.AlterField(
            model_name='account',
            name='promo_budget',
            field=models.BigIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(0)], verbose_name='promotion budget'),
        ),
        migrations.AlterField(
            model_name='lead',
            name='score',
            field=models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)], verbose_name='score'),
        ),
        migrations.AlterField(
            model_name='opportunity',
            name='amount',
            field=models.BigIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(0)], verbose_name='amount'),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.CheckConstraint(condition=models.Q(('corporate_number', ''), ('corporate_number__regex', '^[0-9]{13}$'), _connector='OR'), name='account_corporate_number_13_digits', violation_error_message='A corporate number has 13 digits.'),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.CheckConstraint(condition=models.Q(('employees__isnull', True), ('employees__gte', 0), _connector='OR'), name='account_employees_not_negative', violation_error_message='Head counts and amounts cannot be negative.'),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.CheckConstraint(condition=models.Q(('annual_revenue__isnull', True), ('annual_revenue__gte', 0), _connector='OR'), name='account_annual_revenue_not_negative', violation_error_message='Head counts and amounts cannot be negative.'),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.CheckConstraint(condition=models.Q(('promo_budget__isnull', True), ('promo_budget__gte', 0), _connector='OR'), name='account_promo_budget_not_negative', violation_error_message='Head counts and amounts cannot be negative.'),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.CheckConstraint(condition=models.Q(('avg_order_amount__isnull', True), ('avg_order_amount__gte', 0), _connector='OR'), name='account_avg_order_amount_not_negative', violation_error_message='Head counts and amounts cannot be negative.'),
        ),
        migrations.AddConstraint(
            model_name='opportunity',
            constraint=models.CheckConstraint(condition=models.Q(('closed_on__isnull', True), ('closed_on__gte', models.F('opened_on')), _connector='OR'), name='opportunity_closed_on_after_opened_on', violation_error_message='A deal cannot close before it opens.'),
        ),
        migrations.AddConstraint(
            model_name='opportunity',
            constraint=models.CheckConstraint(condition=models.Q(('amount__isnull', True), ('amount__gte', 0), _connector='OR'), name='opportunity_amount_not_negative', violation_error_message='An amount cannot be negative.'),
        ),
    ]
