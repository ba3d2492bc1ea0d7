"""Create the role groups (agent, supervisor, manager, admin) with their permissions."""

from django.db import migrations


def create_role_groups(apps, schema_editor):
    from contactcenter.agents.roles import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0001_initial"),
        ("interactions", "0001_initial"),
        ("kpis", "0001_initial"),
        ("scripts", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
