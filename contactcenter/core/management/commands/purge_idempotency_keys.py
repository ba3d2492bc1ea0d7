"""``manage.py purge_idempotency_keys``: forget the ``Idempotency-Key`` answers older than 7 days
by hand: the background job of the same name runs it daily (contactcenter/core/tasks.py,
docs/operations.md). An older key already counts as new in the meantime, so a late purge changes
nothing for clients."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext_lazy, ngettext

from contactcenter.core.api.idempotency import idempotency_keys_purge


class Command(BaseCommand):
    help = gettext_lazy("Delete the Idempotency-Key records older than 7 days.")

    def handle(self, *args: Any, verbosity: int = 1, **options: Any) -> None:
        deleted = idempotency_keys_purge()
        if verbosity >= 1:
            self.stdout.write(
                self.style.SUCCESS(
                    ngettext("%(count)s idempotency key deleted.", "%(count)s idempotency keys deleted.", deleted)
                    % {"count": deleted}
                )
            )
