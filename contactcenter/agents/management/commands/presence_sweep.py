"""``manage.py presence_sweep``: agents whose every socket has been gone longer than
``PRESENCE_GRACE_SECONDS`` go offline (contactcenter/agents/presence.py), by hand: the background job
of the same name runs it every minute (contactcenter/agents/tasks.py). Out of the serving process it
needs the shared cache of ``REDIS_URL`` (docs/live.md, "Presence")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contactcenter.agents.presence import presence_sweep


class Command(BaseCommand):
    help = gettext_lazy("Set offline the agents whose desktop has been gone longer than the presence grace.")

    def handle(self, *args: Any, verbosity: int = 1, **options: Any) -> None:
        result = presence_sweep()
        if verbosity >= 1:
            self.stdout.write(
                _("%(checked)s agents checked, %(offline)s set offline, %(started)s seen for the first time.")
                % {"checked": result.checked, "offline": len(result.set_offline), "started": result.started}
            )
        if verbosity >= 2:
            for username in result.set_offline:
                self.stdout.write(_("%(agent)s is now offline.") % {"agent": username})
