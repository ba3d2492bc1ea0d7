"""``manage.py partition_tables [--dry-run] [--months-ahead N] [--since YYYY-MM]``: partition the
interactions and CTI events tables by month, in place (docs/performance.md, "Past 100M rows").

A thin adapter over :mod:`interactions.partitions`. Each table is converted in one transaction
under an exclusive lock: the application must be stopped (a maintenance window; the copy runs at
roughly the speed of ``INSERT … SELECT`` on this server), and a failure changes nothing. A table
partitioned already is left alone (only the months ahead that the daily job ``partitions_ahead``
would create are created), so a second run does nothing. ``--dry-run`` prints the statements
without running them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from tqdm import tqdm

from interactions import partitions


def _month(value: str) -> date:
    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError:
        raise CommandError(_("--since must be a month such as 2024-01, not %(value)r.") % {"value": value}) from None


class Command(BaseCommand):
    help = gettext_lazy(
        "Partition the interactions and CTI events tables by month, in place (stop the application first)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help=gettext_lazy("Print what would be done, change nothing.")
        )
        parser.add_argument(
            "--months-ahead",
            type=int,
            default=None,
            help=gettext_lazy("Months of partitions to create past the current one (PARTITION_MONTHS_AHEAD)."),
        )
        parser.add_argument(
            "--since",
            metavar="YYYY-MM",
            help=gettext_lazy("No partition for older months: their rows go to the DEFAULT partition."),
        )

    def handle(
        self,
        *args: Any,
        dry_run: bool = False,
        months_ahead: int | None = None,
        since: str | None = None,
        verbosity: int = 1,
        **options: Any,
    ) -> None:
        if months_ahead is not None and months_ahead < 0:
            raise CommandError(_("--months-ahead cannot be negative."))
        try:
            partitions.preconditions()
            plans = [
                partitions.table_plan(
                    spec, months_ahead=months_ahead, since=_month(since) if since else None, now=timezone.now()
                )
                for spec in partitions.tables()
            ]
        except partitions.PartitionError as error:
            raise CommandError(str(error)) from None
        stream = getattr(self.stderr, "_out", sys.stderr)
        for plan in plans:
            table = plan.spec.table
            if plan.already:
                self.stdout.write(
                    _("%(table)s is partitioned already (%(count)s months): nothing to do.")
                    % {"table": table, "count": len(plan.months)}
                )
                continue
            self.stdout.write(
                ngettext(
                    "%(table)s: %(rows)s rows into %(count)s monthly partition (%(first)s to %(last)s) and DEFAULT.",
                    "%(table)s: %(rows)s rows into %(count)s monthly partitions (%(first)s to %(last)s) and DEFAULT.",
                    len(plan.months),
                )
                % {
                    "table": table,
                    "rows": plan.rows,
                    "count": len(plan.months),
                    "first": f"{plan.months[0]:%Y-%m}",
                    "last": f"{plan.months[-1]:%Y-%m}",
                }
            )
            if dry_run:
                self.stdout.write(";\n".join(plan.steps) + ";")
                continue

            def progress(steps: list[str], table: str = table) -> Iterable[str]:
                # The bar goes to stderr, drawn in place (OutputWrapper would add a newline per redraw).
                return tqdm(steps, desc=table, unit=_("step"), disable=verbosity < 1, file=stream)

            try:
                copied = partitions.table_partition(plan, progress=progress)
            except partitions.PartitionError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(
                self.style.SUCCESS(_("%(table)s: %(rows)s rows copied.") % {"table": table, "rows": copied})
            )
        if not dry_run:
            # On tables partitioned before: the months ahead the daily job would create, by hand.
            ensured = partitions.partitions_ensure(months_ahead=months_ahead, now=timezone.now())
            for name in (name for item in ensured.values() for name in item.created):
                self.stdout.write(_("%(partition)s created.") % {"partition": name})
