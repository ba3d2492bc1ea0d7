"""One retention period per kind of personal data, present whatever happened to the table.

The migration ``0002_default_policies`` creates them; ``post_migrate`` puts back any that are
missing (a kind added by a later version, or a test database flushed), always empty: kept for
ever until an admin sets a period. A period an admin has set is never changed.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps
from django.db.models.signals import post_migrate

from contactcenter.privacy.models import RetentionKind


def ensure_policies(apps: Any = global_apps) -> int:
    """Create the missing :class:`RetentionPolicy` rows (no period); returns how many."""
    RetentionPolicy = apps.get_model("privacy", "RetentionPolicy")
    present = set(RetentionPolicy.objects.values_list("kind", flat=True))
    missing = [RetentionPolicy(kind=kind, days=None) for kind in RetentionKind if kind not in present]
    RetentionPolicy.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def _after_migrate(sender: Any, **kwargs: Any) -> None:
    if sender.label == "privacy":
        ensure_policies()


def connect_signals() -> None:
    post_migrate.connect(_after_migrate, dispatch_uid="switchboard_retention_policies")
