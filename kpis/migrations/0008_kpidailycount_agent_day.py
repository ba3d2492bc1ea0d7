"""The rollup per agent indexed by (agent, day): a report by agent reads each agent's days of the
period, not their whole history. The index of the agent alone goes (the new one leads with it).
Only the index is dropped: Django's own change of the field would rebuild the table on SQLite,
whose FCR triggers name it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _agent_index(apps, schema_editor) -> tuple[str, str]:
    table = apps.get_model("kpis", "KpiDailyCount")._meta.db_table
    return table, schema_editor._create_index_name(table, ["agent_id"], suffix="")


def drop_agent_index(apps, schema_editor) -> None:
    _table, name = _agent_index(apps, schema_editor)
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_agent_index(apps, schema_editor) -> None:
    table, name = _agent_index(apps, schema_editor)
    quote = schema_editor.quote_name
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} ({quote('agent_id')})")


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0010_role_quality"),
        ("kpis", "0007_daily_queue_counts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_agent_index, create_agent_index)],
            state_operations=[
                migrations.AlterField(
                    model_name="kpidailycount",
                    name="agent",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="agent",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="kpidailycount",
            index=models.Index(fields=["agent", "day"], name="kpidailycount_agent_day_idx"),
        ),
    ]
