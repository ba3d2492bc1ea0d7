"""Model helpers shared by the apps."""

from __future__ import annotations

from django.db import models
from django.db.migrations.operations import AddIndex


class CleanCheckedConstraintsModel(models.Model):
    """A model whose ``clean()`` checks some ``CheckConstraint``s field by field.

    The database keeps those constraints as a last line of defence; ``full_clean`` skips them so
    that a user sees one message, attached to the field at fault, instead of the same problem
    twice. List their names in ``CLEAN_CHECKED_CONSTRAINTS``.
    """

    CLEAN_CHECKED_CONSTRAINTS: frozenset[str] = frozenset()

    class Meta:
        abstract = True

    def get_constraints(self):
        return [
            (model, [c for c in constraints if c.name not in self.CLEAN_CHECKED_CONSTRAINTS])
            for model, constraints in super().get_constraints()
        ]


class AddIndexWithoutLocking(AddIndex):
    """``AddIndex`` that builds the index ``CONCURRENTLY`` on PostgreSQL, so that deploying it on a
    full table does not block writes to the table (its migration sets ``atomic = False``); other
    databases build it the usual way. An invalid index left by an interrupted build is dropped
    and built again. The migration state is the plain ``AddIndex``'s, so ``makemigrations`` sees
    the index in the model's ``Meta.indexes``."""

    def database_forwards(self, app_label: str, schema_editor, from_state, to_state) -> None:
        connection = schema_editor.connection
        model = to_state.apps.get_model(app_label, self.model_name)
        if connection.vendor != "postgresql" or not self.allow_migrate_model(connection.alias, model):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
                [self.index.name],
            )
            row = cursor.fetchone()
        if row and row[0]:
            return  # built by an earlier run that was not recorded
        if row:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(self.index.name)}")
        schema_editor.add_index(model, self.index, concurrently=True)

    def database_backwards(self, app_label: str, schema_editor, from_state, to_state) -> None:
        connection = schema_editor.connection
        model = from_state.apps.get_model(app_label, self.model_name)
        if connection.vendor != "postgresql" or not self.allow_migrate_model(connection.alias, model):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        schema_editor.remove_index(model, self.index, concurrently=True)
