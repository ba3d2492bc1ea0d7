"""``manage.py worker [--processes N]``: run background jobs until stopped (SIGTERM or Ctrl+C),
for production (``BACKGROUND_WORKERS=external``). Start as many as wanted, on as many machines:
they share the queue in the database and never take the same job. See docs/operations.md."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contactcenter.core.workers import run_worker_process


class Command(BaseCommand):
    help = gettext_lazy(
        "Run the background jobs (SLA escalation, KPI rollups, presence sweep, purges, timed jobs) until "
        "stopped; any number of workers may run at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--processes",
            type=int,
            default=None,
            help=gettext_lazy("Jobs run at once by this worker (default: BACKGROUND_WORKER_PROCESSES, 2)."),
        )

    def handle(self, *args: Any, processes: int | None = None, verbosity: int = 1, **options: Any) -> None:
        if processes is not None and processes < 1:
            raise CommandError(_("--processes must be at least 1."))

        def started(cluster: Any) -> None:
            if verbosity >= 1:
                message = _("Worker %(name)s running; stop it with SIGTERM or Ctrl+C.") % {"name": cluster.name}
                self.stdout.write(message)
                self.stdout.flush()

        run_worker_process(processes=processes, on_start=started)
