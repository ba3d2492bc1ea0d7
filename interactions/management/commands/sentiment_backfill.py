"""``manage.py sentiment_backfill [--since YYYY-MM-DD] [--all] [--batch-size N]``: give a sentiment
score to the stored interactions whose notes have none.

A thin adapter over :func:`interactions.sentiment.sentiment_backfill`. Run it once after installing the
analyser, and with ``--all`` after changing ``SENTIMENT_ANALYSER`` or its word lists (computed
scores are replaced; a score supplied by an integration never is). Idempotent: a second run
changes nothing. Each batch is its own transaction, so it can be stopped and run again.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from tqdm import tqdm

from interactions.sentiment import sentiment_backfill


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("--since must be a date such as 2026-01-31, not %(value)r.") % {"value": value}) from None


class Command(BaseCommand):
    help = gettext_lazy(
        "Score the sentiment of stored interactions that have notes but no score; with --all, also re-score "
        "the scores computed before (a score supplied by an integration is never changed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--since",
            metavar="YYYY-MM-DD",
            help=gettext_lazy("Only interactions offered from this day on (the center's time zone)."),
        )
        parser.add_argument(
            "--all",
            action="store_true",
            dest="rescore",
            help=gettext_lazy("Also re-score the interactions whose score was computed before."),
        )
        parser.add_argument(
            "--batch-size", type=int, default=500, help=gettext_lazy("Interactions per transaction (500).")
        )

    def handle(
        self,
        *args: Any,
        since: str | None = None,
        rescore: bool = False,
        batch_size: int = 500,
        verbosity: int = 1,
        **options: Any,
    ) -> None:
        if batch_size < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        start = timezone.make_aware(datetime.combine(_day(since), time.min)) if since else None

        def progress(ids: list[int]) -> Iterable[int]:
            # The bar goes to stderr, drawn in place (OutputWrapper would add a newline per redraw).
            stream = getattr(self.stderr, "_out", sys.stderr)
            return tqdm(ids, desc=_("Interactions"), unit="", disable=verbosity < 1 or not ids, file=stream)

        result = sentiment_backfill(since=start, rescore=rescore, batch_size=batch_size, progress=progress)
        if verbosity >= 1:
            message = ngettext(
                "%(updated)s interaction scored, of %(scanned)s looked at.",
                "%(updated)s interactions scored, of %(scanned)s looked at.",
                result.updated,
            ) % {"updated": result.updated, "scanned": result.scanned}
            self.stdout.write(self.style.SUCCESS(message))
