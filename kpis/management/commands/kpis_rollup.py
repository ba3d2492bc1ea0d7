"""``manage.py kpis_rollup [--since DATE] [--rebuild]``: fill the KPI rollup up to yesterday.

First brings the FCR repeat flags in line with the settings (recomputing them all when
``SHORT_ABANDON_SECONDS`` or ``FCR_WINDOW_DAYS`` changed), and the wallboard's queue counters
(rebuilt when ``SHORT_ABANDON_SECONDS`` changed or they are not ready). Then fills every local day that is
missing, stale (a write touched it since) or whose FCR is not final yet, one day per transaction,
with a progress bar; a second run right after does nothing. The background job of the same name
runs it every hour (kpis/tasks.py); the command is for filling or rebuilding by hand. See docs/kpis.md "Rollups".
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from tqdm import tqdm

from kpis.rollups import RollupBusyError, rollup_fill


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value}) from None


class Command(BaseCommand):
    help = gettext_lazy("Fill the KPI rollup (daily pre-aggregated counts) up to yesterday.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--since",
            type=_day,
            help=gettext_lazy("First local day to fill (YYYY-MM-DD); default: the first day with an interaction."),
        )
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help=gettext_lazy("Forget the rollup (from --since on) and fill it again."),
        )

    def handle(self, *args: Any, since: date | None, rebuild: bool, verbosity: int, **options: Any) -> None:
        def progress(days: Iterable[date], total: int) -> Iterable[date]:
            return tqdm(days, total=total, unit=_("day"), disable=verbosity == 0, file=sys.stderr)

        def flags_progress(batches: Iterable[int], total: int) -> Iterable[int]:
            return tqdm(batches, total=total, unit=_("batch"), disable=verbosity == 0, file=sys.stderr)

        try:
            result = rollup_fill(since=since, rebuild=rebuild, progress=progress, flags_progress=flags_progress)
        except RollupBusyError as error:
            raise CommandError(str(error)) from error
        if result.flags_changed is not None:
            self.stdout.write(
                _("FCR repeat flags recomputed for the current settings: %(count)s changed.")
                % {"count": result.flags_changed}
            )
        if result.queue_counters_written is not None:
            self.stdout.write(
                _("Queue counters rebuilt for the current settings: %(count)s rows.")
                % {"count": result.queue_counters_written}
            )
        if result.days_filled:
            message = _("%(days)s days filled (%(first)s to %(last)s), %(rows)s rows written.") % {
                "days": result.days_filled,
                "first": result.first_day,
                "last": result.last_day,
                "rows": result.rows_written,
            }
        else:
            message = _("The KPI rollup is up to date.")
        self.stdout.write(message)
