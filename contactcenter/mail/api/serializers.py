"""The mailboxes as the API shows and takes them; the IMAP password is write-only."""

from __future__ import annotations

from rest_framework import serializers

from contactcenter.agents.models import Queue
from contactcenter.core.api.serializers import ModelSerializer
from contactcenter.mail.models import Mailbox


class MailboxSerializer(ModelSerializer):
    queue = serializers.SlugRelatedField(slug_field="name", queryset=Queue.objects.all())
    imap_password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=255,
        style={"input_type": "password"},
        help_text="Write-only: never shown back. Blank on a change: the stored one is kept.",
    )
    has_imap_password = serializers.SerializerMethodField()

    class Meta:
        model = Mailbox
        fields = [
            "id",
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
            "has_imap_password",
            "imap_folder",
            "last_fetched_at",
            "last_error",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "last_fetched_at", "last_error", "created_at", "updated_at"]
        extra_kwargs = {"imap_port": {"min_value": 1, "max_value": 65535}}

    def get_has_imap_password(self, mailbox: Mailbox) -> bool:
        return bool(mailbox.imap_password)
