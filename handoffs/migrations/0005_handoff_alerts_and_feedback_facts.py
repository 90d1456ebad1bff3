"""Handoff alerts (returned, SLA, escalation), the facts the feedback figures group by, the escalation time, and the
rejection reasons of docs/rules.md §8: a rejection recorded as `not_ready` becomes `bad_timing`."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def not_ready_is_bad_timing(apps, schema_editor):
    apps.get_model("handoffs", "Handoff").objects.filter(reason="not_ready").update(reason="bad_timing")


def bad_timing_was_not_ready(apps, schema_editor):
    apps.get_model("handoffs", "Handoff").objects.filter(reason="bad_timing").update(reason="not_ready")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_lead_role_supporting_owner'),
        ('handoffs', '0004_handoffrule_version'),
        ('profiles', '0003_profileanalysis'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HandoffAlert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('returned', 'Handoff returned'), ('sla', 'Handoff SLA breached'), ('escalation', 'Handoff escalated')], max_length=12)),
                ('recipient_role', models.CharField(choices=[('admin', 'Admin'), ('manager', 'Manager'), ('csm', 'Customer success'), ('sales', 'Field sales'), ('inside_sales', 'Inside sales'), ('marketing', 'Marketing'), ('executive', 'Executive')], max_length=20)),
                ('status', models.CharField(choices=[('open', 'Open'), ('acknowledged', 'Acknowledged'), ('resolved', 'Resolved')], default='open', max_length=12)),
                ('opened_at', models.DateTimeField()),
                ('acknowledged_at', models.DateTimeField(blank=True, null=True)),
                ('resolved_at', models.DateTimeField(blank=True, null=True)),
                ('reason', models.CharField(blank=True, choices=[('not_icp', 'Not our ideal customer'), ('no_budget', 'No budget'), ('no_need', 'No need'), ('bad_timing', 'Bad timing'), ('wrong_contact', 'Wrong contact'), ('wrong_owner', 'Wrong owner'), ('bad_data', 'Bad data'), ('other', 'Other')], max_length=20)),
                ('comment', models.TextField(blank=True)),
            ],
            options={
                'ordering': ['-opened_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='handoff',
            name='escalate_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='handoff',
            name='escalated',
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name='handoff',
            name='icp_fit',
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='handoff',
            name='icp_profile',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='profiles.icpprofile'),
        ),
        migrations.AddField(
            model_name='handoff',
            name='icp_profile_name',
            field=models.CharField(blank=True, db_default='', max_length=200),
        ),
        migrations.AddField(
            model_name='handoff',
            name='icp_tier',
            field=models.CharField(blank=True, db_default='', max_length=1),
        ),
        migrations.AddField(
            model_name='handoff',
            name='lead_source',
            field=models.CharField(blank=True, db_default='', max_length=100),
        ),
        migrations.AddField(
            model_name='handoff',
            name='sender',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='handoff',
            name='sla_business_hours',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='handoff',
            name='reason',
            field=models.CharField(blank=True, choices=[('not_icp', 'Not our ideal customer'), ('no_budget', 'No budget'), ('no_need', 'No need'), ('bad_timing', 'Bad timing'), ('wrong_contact', 'Wrong contact'), ('wrong_owner', 'Wrong owner'), ('bad_data', 'Bad data'), ('other', 'Other')], max_length=20),
        ),
        migrations.AddIndex(
            model_name='handoff',
            index=models.Index(condition=models.Q(('escalated', False)), fields=['status', 'escalate_at'], name='handoff_status_escalate_idx'),
        ),
        migrations.AddIndex(
            model_name='handoff',
            index=models.Index(fields=['created_on'], name='handoff_created_on_idx'),
        ),
        migrations.AddField(
            model_name='handoffalert',
            name='handoff',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='handoffs.handoff'),
        ),
        migrations.AddField(
            model_name='handoffalert',
            name='recipient',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='handoff_alerts', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='handoffalert',
            index=models.Index(fields=['recipient', 'status', 'opened_at'], name='handoff_alert_recipient_idx'),
        ),
        migrations.AddIndex(
            model_name='handoffalert',
            index=models.Index(condition=models.Q(('recipient__isnull', True)), fields=['recipient_role', 'status'], name='handoff_alert_queue_idx'),
        ),
        migrations.AddConstraint(
            model_name='handoffalert',
            constraint=models.UniqueConstraint(condition=models.Q(('recipient__isnull', False)), fields=('handoff', 'kind', 'recipient'), name='handoff_alert_once_per_recipient'),
        ),
        migrations.AddConstraint(
            model_name='handoffalert',
            constraint=models.UniqueConstraint(condition=models.Q(('recipient__isnull', True)), fields=('handoff', 'kind'), name='handoff_alert_once_per_queue'),
        ),
        migrations.AddConstraint(
            model_name='handoffalert',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('resolved_at__isnull', False), ('status', 'resolved')), models.Q(models.Q(('status', 'resolved'), _negated=True), ('resolved_at__isnull', True)), _connector='OR'), name='handoff_alert_resolved_at_iff_resolved'),
        ),
        migrations.RunPython(not_ready_is_bad_timing, bad_timing_was_not_ready),
    ]
