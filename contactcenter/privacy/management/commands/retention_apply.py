"""``manage.py retention_apply [--dry-run] [--batch-size N]``: scrub or delete the personal data
older than its retention period (set per kind of data in the admin, *Retention periods*).

A thin adapter over :func:`contactcenter.privacy.services.retention_apply`; the nightly job
``retention_apply`` runs the same. ``--dry-run`` says what would go, per kind, and changes
nothing; ``-v 2`` also gives each kind's cutoff and what was touched. Each batch is its own
transaction: the command can be stopped and run again.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from tqdm import tqdm

from contactcenter.privacy.models import RetentionKind
from contactcenter.privacy.services import ACTIONS, BATCH_SIZE, retention_apply


class Command(BaseCommand):
    help = gettext_lazy(
        "Scrub or delete the personal data older than its retention period, kind by kind (periods are set "
        "in the admin; a kind without one is kept)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help=gettext_lazy("Say what would go, per kind; change nothing.")
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=gettext_lazy("Rows per transaction (%(default)s).") % {"default": BATCH_SIZE},
        )

    def handle(
        self, *args: Any, dry_run: bool = False, batch_size: int = BATCH_SIZE, verbosity: int = 1, **options: Any
    ) -> None:
        if batch_size < 1:
            raise CommandError(_("--batch-size must be at least 1."))

        def progress(kind: str, batches: list[list[int]]) -> Iterable[list[int]]:
            # The bar goes to stderr, drawn in place (OutputWrapper would add a newline per redraw).
            stream = getattr(self.stderr, "_out", sys.stderr)
            bar = tqdm(
                total=sum(len(batch) for batch in batches),
                desc=str(RetentionKind(kind).label),
                unit="",
                disable=verbosity < 1 or not batches,
                file=stream,
            )
            with bar:
                for batch in batches:
                    yield batch
                    bar.update(len(batch))

        results = retention_apply(dry_run=dry_run, batch_size=batch_size, progress=progress)
        if verbosity < 1:
            return
        for result in results:
            if result.days is None:
                line = _("%(kind)s: kept (no retention period).") % {"kind": result.label}
            elif dry_run:
                line = _("%(kind)s: %(rows)s would go (older than %(days)s days).") % {
                    "kind": result.label,
                    "rows": result.rows,
                    "days": result.days,
                }
            else:
                line = _("%(kind)s: %(rows)s done (older than %(days)s days).") % {
                    "kind": result.label,
                    "rows": result.rows,
                    "days": result.days,
                }
            self.stdout.write(line)
            if verbosity >= 2 and result.days is not None:
                self.stdout.write(
                    "  "
                    + _("before %(cutoff)s: %(action)s")
                    % {"cutoff": timezone.localtime(result.cutoff).isoformat(), "action": ACTIONS[result.kind]}
                )
                for name, count in sorted(result.detail.items()):
                    self.stdout.write(f"  {name}: {count}")
        if dry_run:
            self.stdout.write(self.style.WARNING(_("Dry run: nothing was changed.")))
        else:
            self.stdout.write(self.style.SUCCESS(_("Retention applied.")))
