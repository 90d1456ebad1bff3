from django.db import migrations

from standards.defaults import DEFAULT_REQUIREMENTS, DEFAULT_STANDARDS


def load(apps, schema_editor):
    Standard = apps.get_model("standards", "Standard")
    Requirement = apps.get_model("standards", "Requirement")
    for state, (purpose, owner_role) in DEFAULT_STANDARDS.items():
        Standard.objects.get_or_create(state=state, defaults={"purpose": purpose, "owner_role": owner_role})
    for order, (state, code, kind, n, p, role, performers) in enumerate(DEFAULT_REQUIREMENTS):
        Requirement.objects.get_or_create(
            standard=Standard.objects.get(state=state), code=code,
            defaults=dict(kind=kind, min_count=n, window_days=p, responsible_role=role,
                          performer_roles=list(performers), order=order),
        )


class Migration(migrations.Migration):
    dependencies = [("standards", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
