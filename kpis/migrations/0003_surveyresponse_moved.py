"""Survey responses leave the KPI app's state: they are a model of the interactions now
(``interactions/migrations/0007_surveyresponse.py`` takes them over; the two steps are state only
and may run in either order).

State only. The table ``kpis_surveyresponse``, its rows, indexes and constraints, and the rollup
triggers on it (``0002_rollups``) stay exactly as they are.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0002_rollups"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SurveyResponse")],
            database_operations=[],
        ),
    ]
