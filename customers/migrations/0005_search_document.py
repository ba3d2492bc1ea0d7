"""The customer's search document, for searches of several common words (PostgreSQL only).

``GET /api/v1/customers/?search=`` wants every word of the term in the first name, the last name,
the company or one of the emails, not necessarily the same one. With one trigram index per field
(migration 0003) a term of common words (``martin david``) has no selective word: the customers
matching one of them are read and each is checked for the others. The search document is the
customer's searchable text in one column, ``lower(first_name) lower(last_name) lower(company)``
and their emails as stored, separated by spaces (a search word has none); one trigram GIN index
on it finds the customers having every word at once. It only narrows the candidates: each word is
still checked field by field, so the results are those of the field-by-field definition.

The database keeps the document, whoever writes (services, admin, demo loads, bulk loads, raw
SQL): a trigger recomputes it on every insert and update of a customer, and statement triggers on
contact points touch the customers whose emails were added, changed or removed. Django does not
know the column (a vendor-specific column cannot be a model field); inserts leave it to its
default and the trigger fills it.

On a full database the column is added without rewriting the table (a constant default), the
existing customers are filled in batches of 10,000 (one transaction each, hence ``atomic =
False``), and the index is built ``CONCURRENTLY``. SQLite does nothing and keeps searching field by
field.
"""

from django.db import migrations

BATCH = 10_000

DOCUMENT = """
    lower(c.first_name) || ' ' || lower(c.last_name) || ' ' || lower(c.company) || ' ' || coalesce((
        SELECT string_agg(p.value, ' ' ORDER BY p.id) FROM customers_contactpoint p
        WHERE p.customer_id = c.id AND p.kind = 'email'
    ), '')
"""

CREATE = [
    "ALTER TABLE customers_customer ADD COLUMN IF NOT EXISTS search_document text NOT NULL DEFAULT ''",
    f"""
    CREATE OR REPLACE FUNCTION customers_search_document(c customers_customer) RETURNS text AS $$
        SELECT {DOCUMENT}
    $$ LANGUAGE sql STABLE
    """,
    """
    CREATE OR REPLACE FUNCTION customers_customer_document() RETURNS trigger AS $$
    BEGIN
        NEW.search_document := customers_search_document(NEW);
        RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE OR REPLACE FUNCTION customers_points_document() RETURNS trigger AS $$
    BEGIN
        -- Any update of the customer runs the trigger above, which reads the emails as they are now.
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            UPDATE customers_customer SET search_document = '' WHERE id IN (SELECT customer_id FROM new_points);
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            UPDATE customers_customer SET search_document = '' WHERE id IN (SELECT customer_id FROM old_points);
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS customers_customer_document ON customers_customer",
    """
    CREATE TRIGGER customers_customer_document BEFORE INSERT OR UPDATE ON customers_customer
    FOR EACH ROW EXECUTE FUNCTION customers_customer_document()
    """,
    "DROP TRIGGER IF EXISTS customers_points_inserted ON customers_contactpoint",
    """
    CREATE TRIGGER customers_points_inserted AFTER INSERT ON customers_contactpoint
    REFERENCING NEW TABLE AS new_points FOR EACH STATEMENT EXECUTE FUNCTION customers_points_document()
    """,
    "DROP TRIGGER IF EXISTS customers_points_updated ON customers_contactpoint",
    """
    CREATE TRIGGER customers_points_updated AFTER UPDATE ON customers_contactpoint
    REFERENCING OLD TABLE AS old_points NEW TABLE AS new_points
    FOR EACH STATEMENT EXECUTE FUNCTION customers_points_document()
    """,
    "DROP TRIGGER IF EXISTS customers_points_deleted ON customers_contactpoint",
    """
    CREATE TRIGGER customers_points_deleted AFTER DELETE ON customers_contactpoint
    REFERENCING OLD TABLE AS old_points FOR EACH STATEMENT EXECUTE FUNCTION customers_points_document()
    """,
]

DROP = [
    "DROP INDEX CONCURRENTLY IF EXISTS customer_search_document_trgm",
    "DROP TRIGGER IF EXISTS customers_points_deleted ON customers_contactpoint",
    "DROP TRIGGER IF EXISTS customers_points_updated ON customers_contactpoint",
    "DROP TRIGGER IF EXISTS customers_points_inserted ON customers_contactpoint",
    "DROP TRIGGER IF EXISTS customers_customer_document ON customers_customer",
    "DROP FUNCTION IF EXISTS customers_points_document()",
    "DROP FUNCTION IF EXISTS customers_customer_document()",
    "DROP FUNCTION IF EXISTS customers_search_document(customers_customer)",
    "ALTER TABLE customers_customer DROP COLUMN IF EXISTS search_document",
]


def create_search_document(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    for statement in CREATE:
        schema_editor.execute(statement)
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM customers_customer")
        last = cursor.fetchone()[0]
        # The trigger computes the document: touching each row is enough. One batch per
        # transaction (autocommit), so that no lock is held on the whole table.
        for first in range(0, last + 1, BATCH):
            cursor.execute(
                "UPDATE customers_customer SET search_document = '' WHERE id >= %s AND id < %s",
                [first, first + BATCH],
            )
        cursor.execute(
            "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
            ["customer_search_document_trgm"],
        )
        row = cursor.fetchone()
    if row and row[0]:
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS customer_search_document_trgm")
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS customer_search_document_trgm "
        "ON customers_customer USING gin (search_document gin_trgm_ops)"
    )


def drop_search_document(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("customers", "0004_customer_read"),
    ]

    operations = [
        migrations.RunPython(create_search_document, drop_search_document, elidable=False),
    ]
