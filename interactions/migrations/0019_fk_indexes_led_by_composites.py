"""The foreign keys of interactions (customer, agent, queue, ticket) and of tickets (customer, queue,
assignee) lose their own single-column index: each key leads a composite index of the table that
serves the same look-ups. Only the indexes go: Django's own ``AlterField`` would also drop and add
the foreign keys again, checking every row of a table of millions while it holds it locked."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

#: (model, column) of each index dropped.
DROPPED = [
    ("interaction", "customer_id"),
    ("interaction", "agent_id"),
    ("interaction", "queue_id"),
    ("interaction", "ticket_id"),
    ("ticket", "customer_id"),
    ("ticket", "queue_id"),
    ("ticket", "assignee_id"),
]


def _indexes(apps, schema_editor):
    """Each dropped index's table, column and name, as Django named it when it made it."""
    for model_name, column in DROPPED:
        table = apps.get_model("interactions", model_name)._meta.db_table
        yield table, column, schema_editor._create_index_name(table, [column], suffix="")


def drop_indexes(apps, schema_editor):
    quote = schema_editor.quote_name
    for _table, _column, name in _indexes(apps, schema_editor):
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(name)}")


def create_indexes(apps, schema_editor):
    quote = schema_editor.quote_name
    for table, column, name in _indexes(apps, schema_editor):
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} ({quote(column)})")


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0010_role_quality"),
        ("customers", "0005_search_document"),
        ("interactions", "0018_interaction_script_path"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
            state_operations=[
                migrations.AlterField(
                    model_name="interaction",
                    name="agent",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="interactions",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="agent",
                    ),
                ),
                migrations.AlterField(
                    model_name="interaction",
                    name="customer",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="interactions",
                        to="customers.customer",
                        verbose_name="customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="interaction",
                    name="queue",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="interactions",
                        to="agents.queue",
                        verbose_name="queue",
                    ),
                ),
                migrations.AlterField(
                    model_name="interaction",
                    name="ticket",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="interactions",
                        to="interactions.ticket",
                        verbose_name="ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="assignee",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="assigned_tickets",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="assignee",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="customer",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tickets",
                        to="customers.customer",
                        verbose_name="customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="queue",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to="agents.queue",
                        verbose_name="queue",
                    ),
                ),
            ],
        ),
    ]
