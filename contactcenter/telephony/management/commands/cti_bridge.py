"""``manage.py cti_bridge asterisk|freeswitch``: the bridge between the phone system and Switchboard.

Runs until stopped (SIGTERM or Ctrl-C), reconnecting to the phone system with backoff and waiting
out a database restart; see ``contactcenter/telephony/runtime.py`` and ``docs/telephony.md``."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from contactcenter.telephony.adapters import ADAPTERS
from contactcenter.telephony.runtime import BridgeRunner


class Command(BaseCommand):
    help = "Connect to the phone system (Asterisk AMI, FreeSWITCH event socket) and apply its call events."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help="the phone system: " + ", ".join(sorted(ADAPTERS)))
        parser.add_argument("--host", help="its address (default: the settings)")
        parser.add_argument("--port", type=int, help="its port (default: the settings)")
        parser.add_argument("--username", help="the manager account (Asterisk; default: the settings)")
        parser.add_argument("--secret", help="its password (default: the settings; prefer the environment)")
        parser.add_argument(
            "--backoff-max",
            type=float,
            default=30.0,
            help="the longest wait between two connection attempts, in seconds",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["kind"]
        if kind not in ADAPTERS:
            raise CommandError(f"Unknown phone system {kind!r}: choose one of {', '.join(sorted(ADAPTERS))}.")
        adapter = ADAPTERS[kind](options)
        runner = BridgeRunner(adapter, backoff_max=options["backoff_max"])
        if not logging.getLogger("contactcenter.telephony").handlers and options["verbosity"] >= 1:
            logging.basicConfig(level=logging.INFO if options["verbosity"] == 1 else logging.DEBUG)
        self.stdout.write(f"Bridge to {kind}: starting (stop with Ctrl-C).")
        asyncio.run(self._run(runner))
        self.stdout.write(
            f"Bridge to {kind}: stopped ({runner.applied} call events applied, {runner.refused} refused)."
        )

    async def _run(self, runner: BridgeRunner) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, runner.stop)
        await runner.run()
