"""``manage.py escalate_overdue [--dry-run]``: raise the priority of tickets that missed an SLA
due time, once per breach, and tell their assignee.

A thin adapter over :func:`interactions.services.tickets_escalate_overdue`, for a run by hand: the
background job of the same name runs it every minute (interactions/tasks.py, docs/operations.md).
Safe to run as often as you like and concurrently with it: each breach is recorded once, under the
ticket's row lock.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from tqdm import tqdm

from interactions.services import tickets_escalate_overdue


class Command(BaseCommand):
    help = gettext_lazy(
        "Raise the priority of open tickets past their first-response or resolution due time by one step per "
        "breach (low → normal → high → urgent), once per breach, and notify their assignee."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help=gettext_lazy("Show what would be escalated; change nothing.")
        )

    def handle(self, *args: Any, dry_run: bool = False, verbosity: int = 1, **options: Any) -> None:
        def progress(ids: list[int]) -> Iterable[int]:
            # The bar goes to stderr, drawn in place (OutputWrapper would add a newline per redraw).
            stream = getattr(self.stderr, "_out", sys.stderr)
            return tqdm(ids, desc=_("Tickets"), unit="", disable=verbosity < 1 or not ids, file=stream)

        escalations = tickets_escalate_overdue(dry_run=dry_run, progress=progress)
        if verbosity >= 2:
            for escalation in escalations:
                self.stdout.write(
                    _("%(reference)s: %(breach)s, %(before)s → %(after)s")
                    % {
                        "reference": escalation.ticket.reference,
                        "breach": escalation.get_breach_display(),
                        "before": escalation.get_from_priority_display(),
                        "after": escalation.get_to_priority_display(),
                    }
                )
        tickets = len({escalation.ticket_id for escalation in escalations})
        values = {"tickets": tickets, "breaches": len(escalations)}
        if dry_run:
            message = ngettext(
                "Dry run: %(tickets)s ticket would be escalated for %(breaches)s SLA breach(es).",
                "Dry run: %(tickets)s tickets would be escalated for %(breaches)s SLA breaches.",
                tickets,
            )
        else:
            message = ngettext(
                "%(tickets)s ticket escalated for %(breaches)s SLA breach(es).",
                "%(tickets)s tickets escalated for %(breaches)s SLA breaches.",
                tickets,
            )
        message %= values
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(message))
