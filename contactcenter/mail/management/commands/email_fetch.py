"""``manage.py email_fetch [--mailbox ADDRESS] [--loop] [--interval 60]``: read mailboxes over IMAP.

Once by default: every active mailbox with an IMAP host (or the one named), one line each; the
exit status is 1 when every mailbox read failed (each one's reason is on standard error and in its
``last_error``), 0 otherwise. ``--loop`` reads them again every ``--interval`` seconds until
stopped (Ctrl-C, or the service manager's stop: a reading stopped midway reads again at most one
message, stored once anyway), for a dedicated process when the background job is off
(``EMAIL_FETCH_INTERVAL_SECONDS=0``). See :mod:`contactcenter.mail.imap`.
"""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connection
from django.utils.translation import gettext as _
from tqdm import tqdm

from contactcenter.mail.imap import FetchResult, imap_mailboxes, mailbox_fetch
from contactcenter.mail.models import Mailbox


class Command(BaseCommand):
    help = "Read the new mail of the mailboxes set up with an IMAP server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", help="Read only the mailbox with this address.")
        parser.add_argument("--loop", action="store_true", help="Read again every --interval seconds until stopped.")
        parser.add_argument("--interval", type=int, default=60, help="Seconds between two readings with --loop (60).")
        parser.add_argument("--rounds", type=int, default=None, help="With --loop, stop after this many readings.")

    def handle(self, *args: object, **options: object) -> None:
        interval = int(options["interval"])  # type: ignore[arg-type]
        if interval < 0:
            raise CommandError(_("The interval must be 0 or more seconds."))
        address = str(options["mailbox"] or "").strip().lower()
        if address and not imap_mailboxes().filter(address=address).exists():
            raise CommandError(
                _("No active mailbox read over IMAP has the address %(address)s.") % {"address": address}
            )
        rounds = options["rounds"]
        done = 0
        try:
            while True:
                results = self._round(address)
                done += 1
                if not options["loop"]:
                    if results and not any(result.ok for result in results):
                        raise CommandError(_("No mailbox could be read."), returncode=1)
                    return
                if rounds is not None and done >= int(rounds):  # type: ignore[call-overload]
                    return
                if not connection.in_atomic_block:  # a long-lived process: no stale connection kept
                    close_old_connections()
                time.sleep(interval)
        except KeyboardInterrupt:
            self.stderr.write(_("Stopped."))

    def _round(self, address: str) -> list[FetchResult]:
        mailboxes: list[Mailbox] = list(imap_mailboxes().filter(address=address) if address else imap_mailboxes())
        if not mailboxes:
            self.stdout.write(_("No mailbox is read over IMAP."))
            return []
        return [self._read(mailbox) for mailbox in mailboxes]

    def _read(self, mailbox: Mailbox) -> FetchResult:
        bar: tqdm | None = None
        interactive = sys.stderr.isatty()

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=total, desc=mailbox.address, unit="mail", file=sys.stderr, disable=not interactive)
            bar.update(1)

        try:
            result = mailbox_fetch(mailbox, progress=progress)
        finally:
            if bar is not None:
                bar.close()
        if not result.ok:
            self.stderr.write(
                _("%(mailbox)s: not read: %(error)s") % {"mailbox": result.mailbox, "error": result.error}
            )
            return result
        line = _("%(mailbox)s: %(stored)s stored, %(duplicates)s already stored, %(skipped)s skipped") % {
            "mailbox": result.mailbox,
            "stored": result.stored,
            "duplicates": result.duplicates,
            "skipped": len(result.skipped),
        }
        if result.restarted:
            line += " " + _("(UIDVALIDITY changed: the folder was read again from its start)")
        self.stdout.write(line)
        return result
