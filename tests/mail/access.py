"""Access-matrix entries for the mailboxes (merged by tests/api/test_access_matrix.py).

Mailboxes carry the center's addresses and IMAP credentials: admins only, for reading too. A
fresh mailbox per call (a deletion takes its own)."""

from contactcenter.mail.services import mailbox_create
from tests.api.matrix import ADMIN_ONLY_CHANGE, ADMIN_ONLY_CREATE, Case, statuses, unique

ADMINS_READ = statuses(403, admin=200)


def _mailbox(org) -> dict:
    return {"pk": mailbox_create(address=f"{unique('box')}@example.com", queue=org.queue_a).pk}


ENTRIES = {
    ("mailbox-list", "get"): Case(ADMINS_READ),
    ("mailbox-list", "post"): Case(
        ADMIN_ONLY_CREATE,
        body=lambda org: {"address": f"{unique('box')}@example.com", "queue": org.queue_a.name, "language": "fr"},
    ),
    ("mailbox-detail", "get"): Case(ADMINS_READ, kwargs=_mailbox),
    ("mailbox-detail", "patch"): Case(ADMIN_ONLY_CHANGE, kwargs=_mailbox, body=lambda org: {"signature": "Merci"}),
    ("mailbox-detail", "delete"): Case(statuses(403, admin=204), kwargs=_mailbox),
}
