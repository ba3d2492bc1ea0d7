"""``KpiDay.presence_sealed``: the day's presence log was deleted by retention (its occupancy is
kept in the rollup only).

On SQLite, Django would add the column by rebuilding the table under a temporary name, which the
rollup's triggers (``0002_rollups``, naming ``kpis_kpiday``) forbid: the column is added in place,
with ``ALTER TABLE … ADD COLUMN`` and a constant default, on both databases."""

from django.db import migrations, models

FIELD = models.BooleanField(
    default=False,
    help_text="The presence log of the day was deleted by retention: its occupancy is kept in the rollup only.",
    verbose_name="occupancy sealed",
)


def add_column(apps, schema_editor) -> None:
    false = "false" if schema_editor.connection.vendor == "postgresql" else "0"
    # The column keeps its constant default in the database: PostgreSQL adds it without rewriting
    # the table, and rows inserted by raw SQL get a value.
    schema_editor.execute(f'ALTER TABLE "kpis_kpiday" ADD COLUMN "presence_sealed" boolean DEFAULT {false} NOT NULL')


def remove_column(apps, schema_editor) -> None:
    schema_editor.execute('ALTER TABLE "kpis_kpiday" DROP COLUMN "presence_sealed"')


class Migration(migrations.Migration):
    dependencies = [("kpis", "0003_surveyresponse_moved")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddField(model_name="kpiday", name="presence_sealed", field=FIELD)],
            database_operations=[migrations.RunPython(add_column, remove_column)],
        ),
    ]
