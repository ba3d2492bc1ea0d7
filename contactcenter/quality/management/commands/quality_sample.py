"""``manage.py quality_sample [--week YYYY-MM-DD] [--dry-run] [--seed S]``: put N random
interactions per agent per sampling rule in the evaluators' queues, for one week.

A thin adapter over :func:`contactcenter.quality.sampling.sampling_run`; the weekly job
``quality_sample`` runs the same for last week. ``--week`` takes any day of the week wanted
(default: last week). ``--dry-run`` says what would be sampled and changes nothing. Running it
again tops up: nothing is sampled twice.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from tqdm import tqdm

from contactcenter.quality.models import SamplingRule
from contactcenter.quality.sampling import last_week, sampling_run, week_of


class Command(BaseCommand):
    help = gettext_lazy(
        "Sample N random interactions per agent and sampling rule for one week, into the evaluators' queues."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--week", help=gettext_lazy("Any day of the week to sample, YYYY-MM-DD (default: last week).")
        )
        parser.add_argument(
            "--dry-run", action="store_true", help=gettext_lazy("Say what would be sampled; change nothing.")
        )
        parser.add_argument("--seed", help=gettext_lazy("Make the random choice reproducible."))

    def handle(
        self,
        *args: Any,
        week: str | None = None,
        dry_run: bool = False,
        seed: str | None = None,
        verbosity: int = 1,
        **options: Any,
    ) -> None:
        try:
            monday = week_of(date.fromisoformat(week)) if week else last_week()
        except ValueError as error:
            raise CommandError(_("--week takes a date: YYYY-MM-DD.")) from error

        def progress(rules: list[SamplingRule]) -> Iterable[SamplingRule]:
            # The bar goes to stderr, drawn in place (OutputWrapper would add a newline per redraw).
            stream = getattr(self.stderr, "_out", sys.stderr)
            with tqdm(
                total=len(rules), desc=_("Sampling rules"), unit="", disable=verbosity < 1 or not rules, file=stream
            ) as bar:
                for rule in rules:
                    yield rule
                    bar.update(1)

        results = sampling_run(week=monday, dry_run=dry_run, seed=seed, progress=progress)
        if verbosity < 1:
            return
        for result in results:
            template = (
                _("%(rule)s: %(items)s would be sampled for %(agents)s agents (week of %(week)s).")
                if dry_run
                else _("%(rule)s: %(items)s sampled for %(agents)s agents (week of %(week)s).")
            )
            self.stdout.write(
                template
                % {"rule": result.rule.name, "items": result.items, "agents": result.agents, "week": result.week}
            )
        if not results:
            self.stdout.write(_("No active sampling rule."))
