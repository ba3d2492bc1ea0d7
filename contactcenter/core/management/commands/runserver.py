"""``manage.py runserver``: daphne's development server (HTTP and WebSocket from one process),
which on the embedded default also runs the background jobs on threads of its own process
(``BACKGROUND_WORKERS=embedded``, :class:`contactcenter.core.workers.EmbeddedWorkers`), so that
``make run`` needs nothing else. With ``BACKGROUND_WORKERS=external`` it serves pages only and
``manage.py worker`` processes run the jobs."""

from __future__ import annotations

from typing import Any

from daphne.management.commands.runserver import Command as DaphneRunserver
from django.conf import settings
from django.utils.translation import gettext as _

from contactcenter.core.workers import EmbeddedWorkers


class Command(DaphneRunserver):
    def inner_run(self, *args: Any, **options: Any) -> None:
        # Runs in the serving process (the reloader's child): the jobs live and die with it.
        if settings.BACKGROUND_WORKERS != "embedded":
            self.stdout.write(_("Background jobs: left to `manage.py worker` (BACKGROUND_WORKERS=external)."))
            super().inner_run(*args, **options)
            return
        workers = EmbeddedWorkers().start()
        self.stdout.write(_("Background jobs: running in this process (BACKGROUND_WORKERS=embedded)."))
        try:
            super().inner_run(*args, **options)
        finally:
            workers.stop()
