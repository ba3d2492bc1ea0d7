"""One retention period per kind of personal data, all empty: everything is kept until an admin
sets a period, so that upgrading never deletes anything by surprise."""

from django.db import migrations

KINDS = [
    "interaction_notes",
    "interaction_recordings",
    "closed_tickets",
    "survey_comments",
    "cti_events",
    "idempotency_keys",
    "presence_intervals",
    "customer_reads",
    "inactive_customers",
    "admin_log",
]


def create_policies(apps, schema_editor) -> None:
    RetentionPolicy = apps.get_model("privacy", "RetentionPolicy")
    for kind in KINDS:
        RetentionPolicy.objects.get_or_create(kind=kind, defaults={"days": None})


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(create_policies, migrations.RunPython.noop)]
