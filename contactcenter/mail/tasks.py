"""Background jobs of the email channel (see :mod:`contactcenter.core.jobs`): declared beside the
services they call, named here so that the job discovery finds them."""

from __future__ import annotations

from contactcenter.core.jobs import Every, job
from contactcenter.mail.imap import mailboxes_fetch_due
from contactcenter.mail.sending import email_send_job

__all__ = ["email_fetch", "email_send_job"]


@job(every=Every(minutes=1), retries=0)
def email_fetch() -> dict[str, int]:
    """Read the mailboxes set up with an IMAP host whose last reading is
    ``EMAIL_FETCH_INTERVAL_SECONDS`` old (none when it is 0), :func:`mailboxes_fetch_due`.

    Runs twice safely: a mailbox is claimed before it is read, each message is stored once (its
    Message-ID) with its UID in one transaction, and the last UID only moves forward. Not
    retried: the next minute's run is the retry (a failing mailbox's reason is its last error)."""
    results = mailboxes_fetch_due()
    return {
        "mailboxes": len(results),
        "failed": sum(1 for result in results if not result.ok),
        "stored": sum(result.stored for result in results),
        "skipped": sum(len(result.skipped) for result in results),
    }
