"""Model helpers shared by the apps."""

from __future__ import annotations

from django.db import models


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
