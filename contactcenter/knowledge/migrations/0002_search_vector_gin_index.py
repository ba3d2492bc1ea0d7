"""The GIN index of the knowledge base's full-text search (PostgreSQL only).

``article_search`` asks ``search_vector @@ to_tsquery(<the article's language config>, …)``; the
GIN index answers it without reading every article. The vector itself is filled by the services.
PostgreSQL only: on SQLite the migration does nothing (the fallback search needs no index), so
the embedded default still migrates. The index is not in the model's ``Meta.indexes`` (which
cannot express a vendor condition), so ``makemigrations`` never sees it.
"""

from django.db import migrations

INDEX = "article_search_vector_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("knowledge", "Article")._meta.db_table
    quote = schema_editor.quote_name
    # The table is new here: a plain build takes no time and stays inside the migration's transaction.
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {quote(INDEX)} ON {quote(table)} USING gin (search_vector)")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(INDEX)}")


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
