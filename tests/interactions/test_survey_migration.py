"""Survey responses moved from the KPI app to the interactions without touching the data: both
migrations are state only, so the table, its rows, indexes and constraints and the KPI rollup's
triggers stay as they are, and the content type (with its permissions and the admin's log
entries) follows the model there and back."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from interactions.models import SurveyResponse
from tests.interactions.factories import SurveyResponseFactory

TABLE = "kpis_surveyresponse"
BEFORE = [("interactions", "0006_interaction_sentiment_computed"), ("kpis", "0002_rollups")]
#: Right after the move (later migrations may add indexes of their own to the table).
AFTER = [("interactions", "0007_surveyresponse"), ("kpis", "0003_surveyresponse_moved")]


def _schema() -> tuple[dict, set[str]]:
    """The table's constraints and indexes (as introspected), and the names of its triggers."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [TABLE])
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
        triggers = {row[0] for row in cursor.fetchall()}
    return constraints, triggers


def _labels(content_type_id: int) -> tuple[str, str]:
    return ContentType.objects.filter(pk=content_type_id).values_list("app_label", "model").get()


def _migrate(targets: list[tuple[str, str]] | None = None) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_the_move_keeps_rows_schema_triggers_and_content_type_there_and_back():
    survey = SurveyResponseFactory(kind="nps", score=9, comment="Quick")
    content_type = ContentType.objects.get_for_model(SurveyResponse)
    permissions = set(Permission.objects.filter(content_type=content_type).values_list("pk", "codename"))
    schema = _schema()
    assert _labels(content_type.pk) == ("interactions", "surveyresponse")
    assert SurveyResponse._meta.db_table == TABLE
    assert {"survey_score_on_its_scale", "survey_one_response_per_interaction_and_kind"} <= set(schema[0])
    assert schema[1]  # the rollup's triggers watch the table

    try:
        _migrate(AFTER)
        moved = _schema()
        executor = _migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps.get_model("kpis", "SurveyResponse")
        assert old.objects.filter(pk=survey.pk).values_list("kind", "score", "comment").get() == ("nps", 9, "Quick")
        assert _labels(content_type.pk) == ("kpis", "surveyresponse")
        assert _schema() == moved
        _migrate(AFTER)
        assert _schema() == moved
    finally:
        _migrate()

    assert SurveyResponse.objects.filter(pk=survey.pk).values_list("kind", "score", "comment").get() == (
        "nps",
        9,
        "Quick",
    )
    assert _labels(content_type.pk) == ("interactions", "surveyresponse")
    assert set(Permission.objects.filter(content_type_id=content_type.pk).values_list("pk", "codename")) == permissions
    assert _schema() == schema
