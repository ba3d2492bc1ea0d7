"""Default SLA policies, business hours, dispositions and ticket categories."""

from django.db import migrations


def create_defaults(apps, schema_editor):
    from interactions.defaults import ensure_defaults

    ensure_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("interactions", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
