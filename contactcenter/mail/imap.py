"""Reading mailboxes over IMAP (docs/email.md, "Reading a mailbox over IMAP").

A mailbox with an IMAP host is read by :func:`mailbox_fetch`: log in (implicit TLS on port 993,
STARTTLS on any other port, plain only with TLS off), select the folder, ask for the messages whose
UID is past the last one read (``UID SEARCH UID <last+1>:*``) and hand each one's bytes, read
without marking it (``BODY.PEEK[]``), to :func:`contactcenter.mail.inbound.email_receive`. Each
message is stored and its UID recorded in one transaction: a reading stopped midway (a crash, a
lost connection) reads again at most the message it was on, which its Message-ID stores once
anyway. A message stored (or stored already) is then flagged ``\\Seen`` on the server; nothing is
ever deleted or moved there.

The UIDs are valid only with the folder's ``UIDVALIDITY``: when the server answers another one
(the folder was recreated, the server migrated), the reading starts over from the folder's first
message, and the Message-IDs keep what was stored already from being stored twice.

Failures: a server that cannot be reached or refuses the login, a folder that does not exist, a
connection lost midway, or the database failing stops this mailbox's reading with the reason in
its ``last_error`` (never the password), and the next mailbox is read all the same. A message
that cannot be stored for what it is (not a mail, a fault of the parser) is skipped, logged with
its UID, left unread on the server and not tried again; its UID is named in ``last_error``.

Who reads: the background job ``email_fetch`` (:mod:`contactcenter.mail.tasks`, every minute, the
mailboxes whose last reading is ``EMAIL_FETCH_INTERVAL_SECONDS`` old) and ``manage.py
email_fetch`` (once, or ``--loop``). Two readers of the same mailbox at once are harmless: each
message is stored once (its Message-ID) and the last UID only moves forward.
"""

from __future__ import annotations

import base64
import imaplib
import logging
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from contactcenter.mail.inbound import email_receive
from contactcenter.mail.models import Mailbox
from contactcenter.mail.parsing import MailParseError

logger = logging.getLogger(__name__)

#: The port of IMAP over implicit TLS; with TLS on, any other port upgrades with STARTTLS.
IMAPS_PORT = 993
#: A mailbox is due for the job when its last reading began this long before the interval is
#: over (the job's minute ticks come a little early or late).
DUE_SLACK = timedelta(seconds=5)
#: The most messages the job reads from one mailbox per run (the rest at the next run).
JOB_BATCH = 200
#: ``(done, total)`` after each message of a mailbox.
Progress = Callable[[int, int], None]

_FETCH_UID = re.compile(rb"UID (\d+)")


class FetchFailed(Exception):
    """The mailbox could not be read (the reason, without the password, is the message)."""


@dataclass
class FetchResult:
    """What one reading of a mailbox did."""

    mailbox: str
    stored: int = 0
    duplicates: int = 0
    skipped: list[int] = field(default_factory=list)
    restarted: bool = False
    more: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def imap_mailboxes() -> QuerySet[Mailbox]:
    """The active mailboxes read over IMAP (an IMAP host set), by address."""
    return Mailbox.objects.select_related("queue").filter(is_active=True).exclude(imap_host="").order_by("address")


def imap_utf7(name: str) -> str:
    """``name`` as IMAP names folders (RFC 3501 §5.1.3, "modified UTF-7"): printable ASCII as is
    (``&`` as ``&-``), anything else as ``&<base64 of UTF-16>-`` with ``,`` for ``/``."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _quoted(name: str) -> str:
    encoded = imap_utf7(name)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _scrub(text: str, mailbox: Mailbox) -> str:
    """``text`` without the password (a server or library may echo what it was sent)."""
    if mailbox.imap_password and len(mailbox.imap_password) >= 3:
        text = text.replace(mailbox.imap_password, "********")
    return text


def _reason(exc: BaseException) -> str:
    if isinstance(exc, imaplib.IMAP4.error) and exc.args and isinstance(exc.args[0], bytes):
        return exc.args[0].decode("utf-8", "replace")
    return str(exc) or type(exc).__name__


def imap_connect(mailbox: Mailbox) -> imaplib.IMAP4:
    """A session logged in to the mailbox's server (not yet in a folder). Raises
    :class:`FetchFailed` when the server is unreachable, the TLS handshake fails or the login is
    refused."""
    host, port, timeout = mailbox.imap_host, mailbox.imap_port, settings.EMAIL_FETCH_TIMEOUT
    context = ssl.create_default_context()
    try:
        if mailbox.imap_use_tls and port == IMAPS_PORT:
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
        else:
            client = imaplib.IMAP4(host, port, timeout=timeout)
            if mailbox.imap_use_tls:
                client.starttls(ssl_context=context)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise FetchFailed(
            _("Could not connect to %(host)s:%(port)s: %(reason)s")
            % {"host": host, "port": port, "reason": _scrub(_reason(exc), mailbox)}
        ) from None
    try:
        client.login(mailbox.imap_username, mailbox.imap_password)
    except (OSError, imaplib.IMAP4.error, UnicodeError) as exc:
        _logout(client)
        raise FetchFailed(
            _("The server %(host)s refused the login of %(username)s: %(reason)s")
            % {"host": host, "username": mailbox.imap_username, "reason": _scrub(_reason(exc), mailbox)}
        ) from None
    return client


def _logout(client: imaplib.IMAP4) -> None:
    try:
        if client.state == "SELECTED":
            client.close()
        client.logout()
    except (OSError, imaplib.IMAP4.error):
        pass


def _select(client: imaplib.IMAP4, folder: str) -> int:
    """Select ``folder`` (read-write, to flag what is read); its UIDVALIDITY."""
    status, data = client.select(_quoted(folder))
    if status != "OK":
        reason = data[0].decode("utf-8", "replace") if data and isinstance(data[0], bytes) else status
        raise FetchFailed(
            _("The folder %(folder)s could not be opened: %(reason)s") % {"folder": folder, "reason": reason}
        )
    _name, values = client.response("UIDVALIDITY")
    if not values or values[0] is None:
        raise FetchFailed(_("The server gave no UIDVALIDITY for the folder %(folder)s.") % {"folder": folder})
    return int(values[0])


def _new_uids(client: imaplib.IMAP4, after: int) -> list[int]:
    # ``n:*`` always names the folder's last message, even below n: keep only what is past ``after``.
    status, data = client.uid("SEARCH", "UID", f"{after + 1}:*")
    if status != "OK":
        raise FetchFailed(_("The server refused to list the new messages."))
    uids = {int(value) for line in data if line for value in line.split()}
    return sorted(uid for uid in uids if uid > after)


def _fetch(client: imaplib.IMAP4, uid: int) -> bytes | None:
    """The message ``uid``'s bytes, without flagging it; ``None`` when it is gone (expunged)."""
    status, data = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if status != "OK":
        raise FetchFailed(_("The server refused to give the message UID %(uid)s.") % {"uid": uid})
    for item in data:
        if isinstance(item, tuple) and b"BODY[]" in item[0]:
            match = _FETCH_UID.search(item[0])
            if match is None or int(match.group(1)) == uid:
                return item[1]
    return None


def _mark_seen(client: imaplib.IMAP4, uid: int) -> None:
    try:
        client.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)")
    except imaplib.IMAP4.error as exc:  # a read-only folder: the mail is stored all the same
        logger.info("email_fetch: UID %s could not be flagged as seen: %s", uid, exc)


def _advance(mailbox: Mailbox, validity: int, uid: int) -> None:
    """Record ``uid`` as read, only forward (another reader may be further already)."""
    Mailbox.objects.filter(pk=mailbox.pk, imap_uidvalidity=validity, imap_last_uid__lt=uid).update(imap_last_uid=uid)
    mailbox.imap_last_uid = max(mailbox.imap_last_uid, uid)


def _start_over_if_invalid(mailbox: Mailbox, validity: int) -> bool:
    """Adopt the folder's UIDVALIDITY; True when it changed (then the reading starts over)."""
    if mailbox.imap_uidvalidity == validity:
        return False
    changed = mailbox.imap_uidvalidity is not None
    if changed:
        logger.warning(
            "email_fetch: %s: UIDVALIDITY changed (%s -> %s), reading the folder again from its start",
            mailbox.address,
            mailbox.imap_uidvalidity,
            validity,
        )
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_uidvalidity=validity, imap_last_uid=0)
    mailbox.imap_uidvalidity, mailbox.imap_last_uid = validity, 0
    return changed


def mailbox_fetch(
    mailbox: Mailbox,
    *,
    max_messages: int | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> FetchResult:
    """Read the new mail of ``mailbox`` over IMAP (see the module's docstring), at most
    ``max_messages`` of it (``more`` says some is left). Never raises for the server's or the
    messages' faults: the result's ``error``, also kept as the mailbox's ``last_error`` (empty
    after a reading without fault), says what went wrong. ``last_fetched_at`` becomes ``now``."""
    result = FetchResult(mailbox=mailbox.address)
    started = now or timezone.now()
    client: imaplib.IMAP4 | None = None
    try:
        client = imap_connect(mailbox)
        validity = _select(client, mailbox.imap_folder)
        result.restarted = _start_over_if_invalid(mailbox, validity)
        uids = _new_uids(client, mailbox.imap_last_uid)
        if max_messages is not None and len(uids) > max_messages:
            uids, result.more = uids[:max_messages], True
        for done, uid in enumerate(uids, start=1):
            _read_one(client, mailbox, validity, uid, result)
            if progress is not None:
                progress(done, len(uids))
    except FetchFailed as exc:
        result.error = str(exc)
    except (OSError, imaplib.IMAP4.error) as exc:
        result.error = _("The connection to %(host)s was lost: %(reason)s") % {
            "host": mailbox.imap_host,
            "reason": _scrub(_reason(exc), mailbox),
        }
    except DatabaseError as exc:
        result.error = _("The database failed: %(reason)s") % {"reason": exc}
    finally:
        if client is not None:
            _logout(client)
    note = result.error
    if result.error:
        logger.warning("email_fetch: %s: %s", mailbox.address, result.error)
    elif result.skipped:
        note = _("Messages skipped (not stored, left unread on the server), UID: %(uids)s") % {
            "uids": ", ".join(str(uid) for uid in result.skipped)
        }
    Mailbox.objects.filter(pk=mailbox.pk).update(last_error=note, last_fetched_at=started)
    mailbox.last_error, mailbox.last_fetched_at = note, started
    return result


def _read_one(client: imaplib.IMAP4, mailbox: Mailbox, validity: int, uid: int, result: FetchResult) -> None:
    raw = _fetch(client, uid)
    if raw is None:  # expunged since the search: nothing to read
        _advance(mailbox, validity, uid)
        return
    try:
        with transaction.atomic():
            outcome = email_receive(mailbox=mailbox, raw=raw)
            _advance(mailbox, validity, uid)
    except DatabaseError:
        raise
    except MailParseError as exc:
        logger.warning("email_fetch: %s: UID %s is not a mail, skipped: %s", mailbox.address, uid, exc)
        result.skipped.append(uid)
        _advance(mailbox, validity, uid)
        return
    except Exception:
        logger.exception("email_fetch: %s: UID %s could not be stored, skipped", mailbox.address, uid)
        result.skipped.append(uid)
        _advance(mailbox, validity, uid)
        return
    if outcome.duplicate:
        result.duplicates += 1
    else:
        result.stored += 1
    _mark_seen(client, uid)


def mailboxes_fetch_due(*, now: datetime | None = None) -> list[FetchResult]:
    """The background job's reading: every IMAP mailbox whose last reading began at least
    ``EMAIL_FETCH_INTERVAL_SECONDS`` ago (nothing when it is 0), at most :data:`JOB_BATCH`
    messages each. A mailbox is claimed first (its ``last_fetched_at`` moved to now under a
    condition), so that two runs at once do not read it both."""
    interval = settings.EMAIL_FETCH_INTERVAL_SECONDS
    if not interval:
        return []
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=interval) + DUE_SLACK
    due = imap_mailboxes().filter(Q(last_fetched_at__isnull=True) | Q(last_fetched_at__lte=cutoff))
    results = []
    for mailbox in due:
        claimed = (
            Mailbox.objects.filter(pk=mailbox.pk)
            .filter(Q(last_fetched_at__isnull=True) | Q(last_fetched_at__lte=cutoff))
            .update(last_fetched_at=now)
        )
        if claimed:
            results.append(mailbox_fetch(mailbox, max_messages=JOB_BATCH, now=now))
    return results
