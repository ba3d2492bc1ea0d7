"""Indexes that fit the order of the survey answers' and the ticket comments' lists (newest
first), so that a page reads its rows, not the table. Built ``CONCURRENTLY`` on PostgreSQL (hence
``atomic = False``)."""

from django.db import migrations, models

from contactcenter.core.db import AddIndexWithoutLocking


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("interactions", "0009_list_indexes"),
    ]

    operations = [
        AddIndexWithoutLocking(
            model_name="surveyresponse",
            index=models.Index(fields=["created_at", "id"], name="survey_created_idx"),
        ),
        AddIndexWithoutLocking(
            model_name="ticketcomment",
            index=models.Index(fields=["created_at", "id"], name="ticket_comment_created_idx"),
        ),
    ]
