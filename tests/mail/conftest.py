"""The mail tests' center: a support mailbox on Queue A, files written under a temporary media
root, and the corpus of messages (``corpus/*.eml``, each saying in ``X-Corpus-Note`` how it was
made)."""

from __future__ import annotations

from pathlib import Path

import pytest

from contactcenter.mail.models import Mailbox
from contactcenter.mail.services import mailbox_create
from tests.agents.factories import QueueFactory
from tests.mail.dovecot import dovecot, dovecot_tls  # noqa: F401 (fixtures, for tests/mail/test_imap.py)

CORPUS = Path(__file__).parent / "corpus"


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def mailbox(db) -> Mailbox:
    return mailbox_create(
        address="support@example.com",
        queue=QueueFactory(name="Support", channel="email"),
        language="fr",
        signature="Le service client",
        acknowledgement_subject="Nous avons bien reçu votre demande : {subject}",
        acknowledgement_body="Bonjour {customer_name},\n\nVotre demande porte la référence {reference}.",
    )
