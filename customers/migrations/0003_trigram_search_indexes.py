"""Trigram GIN indexes for the customer search (SPEC §8: search by name, email or phone at 1M rows).

``GET /api/v1/customers/?search=`` matches every word of the term as a substring of
``lower(first_name)``, ``lower(last_name)``, ``lower(company)`` or an email's ``value`` (emails are
stored lower-case). A ``LIKE '%word%'`` cannot use a btree; with ``pg_trgm`` GIN indexes it stops
being a sequential scan (STYLE.md: 64–280 ms → 0.4–8 ms over 1M rows).

PostgreSQL only: on SQLite the migration does nothing, so the embedded default still migrates.
The indexes are built ``CONCURRENTLY`` (hence ``atomic = False``) so that deploying on a full
database does not block writes to customers; an invalid index left by an interrupted build is
dropped and built again. They are not in the models' ``Meta.indexes`` (which cannot express a
vendor condition), so ``makemigrations`` never sees them.
"""

from django.db import migrations

#: index name → (model, indexed expression)
TRIGRAM_INDEXES = {
    "customer_first_name_trgm": ("Customer", "lower(first_name)"),
    "customer_last_name_trgm": ("Customer", "lower(last_name)"),
    "customer_company_trgm": ("Customer", "lower(company)"),
    "contact_point_value_trgm": ("ContactPoint", "value"),
}


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (model_name, expression) in TRIGRAM_INDEXES.items():
        table = apps.get_model("customers", model_name)._meta.db_table
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
                [name],
            )
            row = cursor.fetchone()
        if row and row[0]:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {quote(name)}")
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote(name)} ON {quote(table)} "
            f"USING gin (({expression}) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        # The extension stays: other objects may use it, and it costs nothing unused.
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("customers", "0002_erasure_record"),
    ]

    operations = [
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes, elidable=False),
    ]
