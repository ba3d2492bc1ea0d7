"""Every write on mailboxes, and what an erasure does to the mail (the mail received:
:mod:`contactcenter.mail.inbound`; sent: :mod:`contactcenter.mail.outbound`)."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from contactcenter.agents.models import Queue
from contactcenter.core.db import full_clean
from contactcenter.mail.models import EmailAttachment, EmailMessage, Mailbox
from customers.models import Customer
from customers.services import ERASED_TEXT

#: What :func:`mailbox_update` may change.
MAILBOX_EDITABLE_FIELDS = frozenset(
    {
        "address",
        "queue",
        "language",
        "signature",
        "acknowledgement_subject",
        "acknowledgement_body",
        "is_active",
        "imap_host",
        "imap_port",
        "imap_use_tls",
        "imap_username",
        "imap_password",
        "imap_folder",
    }
)


class MailboxInUse(Exception):
    """The mailbox has mail: it is deactivated, not deleted."""


@transaction.atomic
def mailbox_create(*, address: str, queue: Queue, language: str = "fr", **fields: Any) -> Mailbox:
    """Create a mailbox receiving into ``queue`` (IMAP fields optional: none when the MTA pipes
    the mail in). ``ValidationError`` naming each bad field."""
    unknown = set(fields) - MAILBOX_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"mailbox_create cannot set {sorted(unknown)}")
    mailbox = Mailbox(address=address, queue=queue, language=language, **fields)
    full_clean(mailbox)
    mailbox.save()
    return mailbox


@transaction.atomic
def mailbox_update(*, mailbox: Mailbox, changes: dict[str, Any]) -> Mailbox:
    """Change the mailbox's fields in ``changes``. A blank ``imap_password`` keeps the stored one
    (it is never shown back, so a form left blank means "unchanged"). Moving to another IMAP
    server or folder starts its reading over (the UIDs of one folder mean nothing in another)."""
    unknown = set(changes) - MAILBOX_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"mailbox_update cannot change {sorted(unknown)}")
    changes = dict(changes)
    if not changes.get("imap_password", "x"):
        changes.pop("imap_password")
    locked = Mailbox.objects.select_for_update(of=("self",)).select_related("queue").get(pk=mailbox.pk)
    moved = any(
        name in changes and changes[name] != getattr(locked, name)
        for name in ("imap_host", "imap_username", "imap_folder")
    )
    for name, value in changes.items():
        setattr(locked, name, value)
    if moved:
        locked.imap_uidvalidity, locked.imap_last_uid = None, 0
    # What did not change is not looked up again (the address's uniqueness, the queue's existence).
    full_clean(locked, unchanged={field.name for field in Mailbox._meta.concrete_fields} - set(changes))
    locked.save()
    return locked


@transaction.atomic
def mailbox_delete(*, mailbox: Mailbox) -> None:
    """Delete a mailbox that never received nor sent mail; :class:`MailboxInUse` otherwise (its
    messages stay on their tickets: deactivate it instead)."""
    if mailbox.messages.exists():
        raise MailboxInUse(_("This mailbox has mail on tickets: deactivate it instead of deleting it."))
    mailbox.delete()


def email_customer_erased(*, customer: Customer) -> dict[str, int]:
    """The customer hook of an erasure (``customers.services.customer_erase``): the mail on the
    customer's tickets and interactions loses its addresses, subject and texts; its files (the raw
    message, the attachments) are deleted, from the storage once the erasure commits. The
    Message-IDs stay, so that the same mail delivered again is still known and stored once. One
    query for a customer without mail; four otherwise."""
    rows = list(
        EmailMessage.objects.filter(Q(ticket__customer=customer) | Q(interaction__customer=customer)).values_list(
            "pk", "raw"
        )
    )
    if not rows:
        return {"email_messages": 0, "email_attachments": 0}
    ids = [pk for pk, _raw in rows]
    attachments = EmailAttachment.objects.filter(message_id__in=ids)
    names = [raw for _pk, raw in rows if raw]
    names += [name for name in attachments.values_list("file", flat=True) if name]
    deleted, _by_model = attachments.delete()  # nothing points at an attachment: one DELETE
    blanked = EmailMessage.objects.filter(pk__in=ids).update(
        from_address="",
        from_name="",
        to=[],
        cc=[],
        subject=ERASED_TEXT,
        body_text="",
        full_text="",
        body_html="",
        raw="",
        send_error="",
    )
    transaction.on_commit(lambda: [default_storage.delete(name) for name in names])
    return {"email_messages": blanked, "email_attachments": deleted}
