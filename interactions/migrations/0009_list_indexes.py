"""Indexes that fit the lists' order and an agent's current call, so that each reads a page, not
a table.

- Tickets are listed newest first (``-created_at, -id``), whole or by queue or by assignee.
- The desk reads an agent's current call: their answered contact whose after-call work is not
  over, the newest first; a partial index holds only contacts without an end of after-call work.

Built ``CONCURRENTLY`` on PostgreSQL (hence ``atomic = False``), so that deploying on full tables
does not block writes to them.
"""

from django.conf import settings
from django.db import migrations, models

from contactcenter.core.db import AddIndexWithoutLocking


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("agents", "0002_role_groups"),
        ("customers", "0003_trigram_search_indexes"),
        ("interactions", "0008_sentiment_computed_help"),
        ("scripts", "0002_script_history"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexWithoutLocking(
            model_name="interaction",
            index=models.Index(
                condition=models.Q(("wrapup_ended_at__isnull", True)),
                fields=["agent", "answered_at"],
                name="interaction_agent_open_idx",
            ),
        ),
        AddIndexWithoutLocking(
            model_name="ticket",
            index=models.Index(fields=["created_at", "id"], name="ticket_created_idx"),
        ),
        AddIndexWithoutLocking(
            model_name="ticket",
            index=models.Index(fields=["queue", "created_at", "id"], name="ticket_queue_created_idx"),
        ),
        AddIndexWithoutLocking(
            model_name="ticket",
            index=models.Index(fields=["assignee", "created_at", "id"], name="ticket_assignee_created_idx"),
        ),
    ]
