"""``manage.py simulate_call``: play one call end to end through the real CTI intake.

``call.offered`` → (ring) → ``call.answered`` → (talk) → ``call.ended`` → (after-call work) →
``call.wrapup_ended``, each step printed, through the services of
:mod:`contactcenter.desk.simulation` (the wallboard's "Play a simulated call" button uses the same).
Interrupted (Ctrl+C) while it rings or talks, the call is hung up first, so no caller is left
waiting in a queue.

Live events leave from the process that writes. With ``REDIS_URL`` they reach every server's
sockets; on the embedded default (in-memory channel layer) they stay in this process: the data is
written, and the pages show it on their next refresh (the wallboard refetches every minute), but
nothing pops. There, use the wallboard's button instead (docs/wallboard.md).
"""

from __future__ import annotations

import argparse
import contextlib
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contactcenter.agents.models import Queue
from contactcenter.desk import simulation
from interactions.models import Interaction


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number <= 3600:
        raise argparse.ArgumentTypeError(_("“%(value)s” is not a number of seconds from 0 to 3600.") % {"value": value})
    return number


def _messages(exc: ValidationError) -> str:
    return " ".join(exc.messages)


class Command(BaseCommand):
    help = gettext_lazy(
        "Play a simulated call through the CTI intake: offered, answered by an available agent, ended "
        "(and optionally wrapped up), with pauses in between."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--queue", required=True, help=gettext_lazy("The queue's name."))
        parser.add_argument(
            "--agent",
            help=gettext_lazy("Username of the agent who answers (default: an available agent of the queue)."),
        )
        parser.add_argument(
            "--caller",
            help=gettext_lazy(
                "The caller's number, in any format, or “unknown” (default: the number of a random customer)."
            ),
        )
        parser.add_argument(
            "--ring", type=_seconds, default=3.0, help=gettext_lazy("Seconds it rings before the answer (3).")
        )
        parser.add_argument("--talk", type=_seconds, default=20.0, help=gettext_lazy("Seconds of conversation (20)."))
        parser.add_argument(
            "--wrapup",
            type=_seconds,
            default=0.0,
            help=gettext_lazy(
                "Seconds of after-call work, then call.wrapup_ended (0, the default: no wrap-up end; the agent "
                "ends it from the desktop)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        queue = self._queue(options["queue"])
        agent = self._agent(options.get("agent"))
        try:
            # Checked before the call rings: nobody to answer means no call at all.
            agent = simulation.simulated_call_pick_agent(queue=queue, agent=agent)
            interaction = simulation.simulated_call_offer(queue=queue, caller=options.get("caller"), by=None)
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from exc
        self._step(
            _("Call %(id)s offered in %(queue)s from %(caller)s (%(customer)s).")
            % {
                "id": interaction.pk,
                "queue": queue.name,
                "caller": self._caller_label(interaction),
                "customer": (
                    _("customer %(id)s") % {"id": interaction.customer_id}
                    if interaction.customer_id
                    else _("unknown caller")
                ),
            }
        )
        try:
            self._pause(options["ring"])
            interaction = simulation.simulated_call_answer(interaction=interaction, agent=agent, by=None)
            self._step(_("Answered by %(agent)s.") % {"agent": agent.get_username()})
            self._pause(options["talk"])
        except ValidationError as exc:
            self._hang_up(interaction)
            raise CommandError(_messages(exc)) from exc
        except KeyboardInterrupt:
            self._hang_up(interaction)
            raise CommandError(_("Interrupted: the call was hung up.")) from None
        interaction = simulation.simulated_call_end(interaction=interaction, by=None)
        self._step(_("Ended: %(agent)s is in wrap-up.") % {"agent": agent.get_username()})
        if options["wrapup"] > 0:
            try:
                self._pause(options["wrapup"])
            except KeyboardInterrupt:
                raise CommandError(_("Interrupted: the agent stays in wrap-up.")) from None
            simulation.simulated_call_wrapup_end(interaction=interaction, by=None)
            self._step(_("After-call work over: %(agent)s is available.") % {"agent": agent.get_username()})
        else:
            self._step(_("The agent ends the after-call work from the desktop (or give --wrapup)."))

    # --- helpers --------------------------------------------------------------------------------

    def _queue(self, name: str) -> Queue:
        queue = Queue.objects.filter(name=name, is_active=True).first()
        if queue is None:
            names = ", ".join(Queue.objects.filter(is_active=True).order_by("name").values_list("name", flat=True))
            raise CommandError(
                _("No active queue is named “%(name)s”. Active queues: %(names)s.")
                % {"name": name, "names": names or "—"}
            )
        return queue

    def _agent(self, username: str | None):
        if not username:
            return None
        user_model = get_user_model()
        user = user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(_("No user is named “%(name)s”.") % {"name": username})
        return user

    def _caller_label(self, interaction: Interaction) -> str:
        # A number is personal data: the command says whose call it is, not the number itself.
        return _("a known number") if interaction.customer_id else _("an unknown number")

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def _hang_up(self, interaction: Interaction) -> None:
        with contextlib.suppress(ValidationError):  # already over
            simulation.simulated_call_end(interaction=interaction, by=None)

    def _step(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()
