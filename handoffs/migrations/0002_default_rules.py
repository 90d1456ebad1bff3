from django.db import migrations

from handoffs.defaults import DEFAULT_HANDOFF_RULES


def load(apps, schema_editor):
    HandoffRule = apps.get_model("handoffs", "HandoffRule")
    for order, (name, to_state, from_states, from_role, to_role, model, sla) in enumerate(DEFAULT_HANDOFF_RULES, 1):
        HandoffRule.objects.get_or_create(
            name=name,
            defaults=dict(order=order * 10, to_state=to_state, from_states=list(from_states), from_role=from_role,
                          to_role=to_role, model=model, sla_business_hours=sla, active=True),
        )


class Migration(migrations.Migration):
    dependencies = [("handoffs", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
