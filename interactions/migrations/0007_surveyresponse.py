"""Survey responses become a model of the interactions, without touching the data (the KPI app
lets go of them in ``kpis/migrations/0003_surveyresponse_moved.py``; the two steps are state only
and may run in either order).

- State only: the model keeps its table, ``kpis_surveyresponse`` (``db_table``), created by the
  KPI app's first migration, which therefore runs before this one on a new database. Its rows,
  indexes, constraints and the KPI rollup's triggers on it are left exactly as they are.
- Its content type is renamed in place (``kpis`` → ``interactions``), so that its permissions, the
  role groups that hold them and the admin's log entries about survey responses stay attached to
  it. On a database where the new content type already exists, nothing is renamed (the old one is
  left for ``remove_stale_contenttypes``).
"""

import django.db.models.deletion
from django.db import migrations, models


def _rename_content_type(old: str, new: str):
    def rename(apps, schema_editor) -> None:
        from django.contrib.contenttypes.models import ContentType as LiveContentType

        ContentType = apps.get_model("contenttypes", "ContentType")
        types = ContentType.objects.using(schema_editor.connection.alias)
        if not types.filter(app_label=new, model="surveyresponse").exists():
            types.filter(app_label=old, model="surveyresponse").update(app_label=new)
        LiveContentType.objects.clear_cache()

    return rename


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("interactions", "0006_interaction_sentiment_computed"),
        # The table's creator. Not the KPI app's later migrations: on a new SQLite database its
        # triggers (0002) must come after this app's table rebuilds (0006).
        ("kpis", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SurveyResponse",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[("csat", "CSAT (1–5)"), ("nps", "NPS (0–10)"), ("ces", "CES (1–7)")],
                                max_length=5,
                                verbose_name="kind",
                            ),
                        ),
                        ("score", models.SmallIntegerField(verbose_name="score")),
                        ("comment", models.TextField(blank=True, verbose_name="comment")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="received at")),
                        (
                            "interaction",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="survey_responses",
                                to="interactions.interaction",
                                verbose_name="interaction",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "survey response",
                        "verbose_name_plural": "survey responses",
                        "db_table": "kpis_surveyresponse",
                        "ordering": ["-created_at", "-id"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("kind", "csat"), ("score__gte", 1), ("score__lte", 5)),
                                    models.Q(("kind", "nps"), ("score__gte", 0), ("score__lte", 10)),
                                    models.Q(("kind", "ces"), ("score__gte", 1), ("score__lte", 7)),
                                    _connector="OR",
                                ),
                                name="survey_score_on_its_scale",
                            ),
                            models.UniqueConstraint(
                                fields=("interaction", "kind"),
                                name="survey_one_response_per_interaction_and_kind",
                                violation_error_message="This interaction already has a response to this survey.",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(
            _rename_content_type("kpis", "interactions"),
            _rename_content_type("interactions", "kpis"),
        ),
    ]
