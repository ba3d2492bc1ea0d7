"""``manage.py demo``: fill the database with a demo contact center.

A thin adapter (STYLE principle 3): options in, :func:`contactcenter.demo.loader.load_demo`, a report
out. What is generated, and how, is documented in :mod:`contactcenter.demo` and its modules.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contactcenter.demo.errors import DemoError
from contactcenter.demo.loader import load_demo
from contactcenter.demo.result import DemoResult, count_labels
from contactcenter.demo.simulator.center import DEMO_PASSWORD


def _moment(value: str) -> datetime:
    """``--now``: an ISO 8601 date and time; without an offset, in ``TIME_ZONE``."""
    parsed = parse_datetime(value)
    if parsed is None:
        raise argparse.ArgumentTypeError(
            _("“%(value)s” is not a date and time such as 2026-03-02T18:00.") % {"value": value}
        )
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(_("“%(value)s” is not a whole number of at least 1.") % {"value": value})
    return number


class _BarStream:
    """The command's stderr as tqdm needs it: ``OutputWrapper`` would end every write with a
    newline and colour it as an error, breaking the bar's in-place redraws."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self._wrapper = wrapper

    def write(self, text: str) -> None:
        self._wrapper.write(text, style_func=lambda plain: plain, ending="")

    def flush(self) -> None:
        self._wrapper.flush()

    def isatty(self) -> bool:
        return self._wrapper.isatty()


class Command(BaseCommand):
    help = gettext_lazy(
        "Fill the database with a demo contact center: teams, queues, staff accounts with a known "
        "password, customers, and the interactions, tickets, surveys and presence log of the last days. "
        "Running it again changes nothing; --reset deletes the demo data and loads it again."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> argparse.ArgumentParser:
        # argparse wants text, not a lazy translation: translate now, in the active language.
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--customers", type=_positive, default=2000, help=_("Customers to create (default 2000)."))
        parser.add_argument("--days", type=_positive, default=30, help=_("Days of activity up to now (default 30)."))
        parser.add_argument("--seed", type=int, default=42, help=_("Random seed: the same seed gives the same data."))
        parser.add_argument(
            "--now",
            type=_moment,
            default=None,
            help=_("End of the period, ISO 8601 (default: now); with --seed, fully reproducible data."),
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=_("Delete the demo data (customers, interactions, tickets, surveys, presence) and reload it."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        now = options["now"]
        if isinstance(now, str):  # call_command(now="…") skips the argument's type
            now = _moment(now)
        started = time.monotonic()
        try:
            result = load_demo(
                customers=options["customers"],
                days=options["days"],
                seed=options["seed"],
                now=now,
                reset=options["reset"],
                progress=_BarStream(self.stderr) if verbosity > 0 else None,
            )
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            # A generated row failed validation: a bug in the generator; the transaction wrote nothing.
            raise CommandError(
                _("Generated demo data is invalid, nothing was written: %(error)s") % {"error": exc}
            ) from exc
        if verbosity > 0:
            self._report(result, time.monotonic() - started)

    def _report(self, result: DemoResult, seconds: float) -> None:
        labels = count_labels()
        if result.deleted:
            self.stdout.write(_("Deleted the previous demo data:"))
            for key, count in result.deleted.items():
                self.stdout.write(f"  {count:>8}  {labels.get(key, key)}")
        if result.created:
            self.stdout.write(_("Created:"))
            for key, count in sorted(result.created.items(), key=lambda item: list(labels).index(item[0])):
                self.stdout.write(f"  {count:>8}  {labels.get(key, key)}")
        if result.by_channel:
            per_channel = ", ".join(f"{channel} {count}" for channel, count in sorted(result.by_channel.items()))
            self.stdout.write(_("Interactions by channel: %(channels)s") % {"channels": per_channel})
        if result.loaded:
            self.stdout.write(self.style.SUCCESS(_("Demo data loaded in %(seconds).1f s.") % {"seconds": seconds}))
        else:
            self.stdout.write(
                self.style.WARNING(
                    _("The demo data is already loaded: nothing more was created. Use --reset to load it again.")
                )
            )
        self._logins(result)

    def _logins(self, result: DemoResult) -> None:
        headers = (_("Username"), _("Role"), _("Team"), _("Password"))
        rows = [
            (login.username + ("" if login.created else " *"), login.role, login.team or "—", DEMO_PASSWORD)
            for login in result.logins
        ]
        widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
        line = "  ".join(f"{{:<{width}}}" for width in widths)
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(_("Demo logins")))
        self.stdout.write(line.format(*headers).rstrip())
        self.stdout.write(line.format(*("-" * width for width in widths)))
        for row in rows:
            self.stdout.write(line.format(*row).rstrip())
        if any(not login.created for login in result.logins):
            self.stdout.write(
                _(
                    "* existed before this run and was left unchanged: its password is the demo one "
                    "only if an earlier demo run created it."
                )
            )
