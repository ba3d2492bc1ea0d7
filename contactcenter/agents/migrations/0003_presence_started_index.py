"""An index that fits the presence log's list (newest first, in the admin), so that a page reads
its rows, not the log. Built ``CONCURRENTLY`` on PostgreSQL (hence ``atomic = False``)."""

from django.db import migrations, models

from contactcenter.core.db import AddIndexWithoutLocking


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("agents", "0002_role_groups"),
    ]

    operations = [
        AddIndexWithoutLocking(
            model_name="presenceinterval",
            index=models.Index(fields=["started_at"], name="presence_started_idx"),
        ),
    ]
