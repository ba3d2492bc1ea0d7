"""``manage.py email_receive --mailbox ADDRESS < message.eml``: one message from the MTA.

Exit codes are those of ``sysexits.h``, which MTAs read (Postfix's ``pipe``, Exim, …):

* 0: stored, or stored already (the same Message-ID: the MTA may deliver twice);
* 67 (EX_NOUSER): no active mailbox has this address: the MTA bounces the mail;
* 65 (EX_DATAERR): the input is not a mail: bounced;
* 75 (EX_TEMPFAIL): the database is unavailable, or anything else went wrong: nothing was stored
  and the MTA keeps the mail in its queue and tries again later.

The reason goes to standard error, which the MTA writes into its log or its bounce.
"""

from __future__ import annotations

import logging
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils.translation import gettext as _

from contactcenter.mail.inbound import email_receive
from contactcenter.mail.models import Mailbox
from contactcenter.mail.parsing import MailParseError

logger = logging.getLogger(__name__)

EX_OK = 0
EX_DATAERR = 65
EX_NOUSER = 67
EX_TEMPFAIL = 75
#: Larger input than this is refused as data (a mail server's own limit is usually far lower).
MAX_INPUT_BYTES = 200 * 1024 * 1024


class Command(BaseCommand):
    help = "Store one mail read from standard input in the mailbox ADDRESS (for an MTA's pipe transport)."
    requires_system_checks: list[str] = []  # an MTA waits for the answer: no system check first

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", required=True, help="The mailbox's address (the recipient).")
        parser.add_argument("--file", default="-", help="Read the mail from this file instead of standard input.")

    def handle(self, *args: object, **options: object) -> None:
        address = str(options["mailbox"]).strip().lower()
        raw = self._read(str(options["file"]))
        try:
            mailbox = Mailbox.objects.select_related("queue").filter(address=address, is_active=True).first()
            if mailbox is None:
                raise CommandError(
                    _("No active mailbox has the address %(address)s.") % {"address": address}, returncode=EX_NOUSER
                )
            outcome = email_receive(mailbox=mailbox, raw=raw)
        except CommandError:
            raise
        except MailParseError as exc:
            raise CommandError(_("This is not a mail: %(reason)s.") % {"reason": exc}, returncode=EX_DATAERR) from exc
        except DatabaseError as exc:
            logger.warning("email_receive: database unavailable, the MTA will retry: %s", exc)
            raise CommandError(_("The database is unavailable; try again later."), returncode=EX_TEMPFAIL) from exc
        except Exception as exc:
            logger.exception("email_receive: the mail could not be stored, the MTA will retry")
            raise CommandError(
                _("The mail could not be stored (%(error)s); try again later.") % {"error": type(exc).__name__},
                returncode=EX_TEMPFAIL,
            ) from exc
        if outcome.duplicate:
            self.stdout.write(_("Already stored: %(id)s") % {"id": outcome.message.message_id})
        else:
            self.stdout.write(_("Stored: %(id)s") % {"id": outcome.message.message_id})

    def _read(self, path: str) -> bytes:
        try:
            if path == "-":
                raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
            else:
                with open(path, "rb") as handle:
                    raw = handle.read(MAX_INPUT_BYTES + 1)
        except OSError as exc:
            raise CommandError(
                _("The mail could not be read: %(error)s") % {"error": exc}, returncode=EX_TEMPFAIL
            ) from exc
        if len(raw) > MAX_INPUT_BYTES:
            raise CommandError(_("The mail is larger than this server takes."), returncode=EX_DATAERR)
        return raw
