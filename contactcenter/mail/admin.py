"""Mailboxes (admins) and the mail they received and sent (read-only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from contactcenter.core.admin_utils import LargeTablePaginator
from contactcenter.mail.models import CannedReply, EmailAttachment, EmailMessage, Mailbox
from contactcenter.mail.sending import email_send_again
from contactcenter.mail.services import MAILBOX_EDITABLE_FIELDS, mailbox_create, mailbox_update


class MailboxForm(forms.ModelForm):
    """The IMAP password is never shown back: the field starts empty, and left empty it keeps the
    stored password."""

    imap_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Never shown again once saved; leave it empty to keep the stored one."),
    )

    class Meta:
        model = Mailbox
        fields = sorted(MAILBOX_EDITABLE_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stored_password = self.instance.imap_password if self.instance.pk else ""
        self.initial["imap_password"] = ""

    def clean_imap_password(self) -> str:
        return self.cleaned_data.get("imap_password") or self.stored_password


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ("address", "queue", "language", "is_active", "uses_imap", "last_fetched_at", "last_error")
    list_filter = ("is_active", "queue")
    list_select_related = ("queue",)
    search_fields = ("address",)
    readonly_fields = ("imap_uidvalidity", "imap_last_uid", "last_fetched_at", "last_error")
    fieldsets = (
        (None, {"fields": ("address", "queue", "language", "is_active", "signature")}),
        (_("Acknowledgement"), {"fields": ("acknowledgement_subject", "acknowledgement_body")}),
        (
            _("IMAP (leave the host empty when the mail server pipes the mail in)"),
            {"fields": ("imap_host", "imap_port", "imap_use_tls", "imap_username", "imap_password", "imap_folder")},
        ),
        (_("Reading"), {"fields": readonly_fields}),
    )

    @admin.display(boolean=True, description=_("IMAP"))
    def uses_imap(self, mailbox: Mailbox) -> bool:
        return mailbox.uses_imap

    def save_model(self, request: HttpRequest, obj: Mailbox, form: MailboxForm, change: bool) -> None:
        # Through the services, as the API: the same checks and the same password rule.
        data = {name: form.cleaned_data[name] for name in MAILBOX_EDITABLE_FIELDS if name in form.cleaned_data}
        saved = mailbox_update(mailbox=obj, changes=data) if change else mailbox_create(**data)
        obj.pk, obj.imap_password = saved.pk, saved.imap_password


class EmailAttachmentInline(admin.TabularInline):
    model = EmailAttachment
    extra = 0
    can_delete = False
    fields = ("filename", "content_type", "size", "content_id", "too_large", "file")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.action(description=_("Send the failed messages again"))
def send_again(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    count = 0
    for message in queryset.filter(send_state="failed"):
        email_send_again(message=message)
        count += 1
    model_admin.message_user(
        request,
        ngettext("%(count)d message queued again.", "%(count)d messages queued again.", count) % {"count": count},
    )


@admin.register(EmailMessage)
class EmailMessageAdmin(admin.ModelAdmin):
    """The mail as received and sent: read-only (it is what happened)."""

    list_display = (
        "created_at",
        "direction",
        "mailbox",
        "from_address",
        "subject",
        "ticket",
        "automatic",
        "send_state",
    )
    list_filter = ("direction", "automatic", "send_state", "mailbox")
    list_select_related = ("mailbox", "ticket")
    search_fields = ("message_id", "from_address", "subject")
    show_full_result_count = False
    paginator = LargeTablePaginator
    date_hierarchy = None
    inlines = (EmailAttachmentInline,)
    actions = (send_again,)
    raw_id_fields = ("ticket", "interaction")
    fields = (
        "mailbox",
        "direction",
        "ticket",
        "interaction",
        "message_id",
        "in_reply_to",
        "references",
        "from_address",
        "from_name",
        "to",
        "cc",
        "subject",
        "date",
        "automatic",
        "body_text",
        "full_text",
        "body_html",
        "raw",
        "send_state",
        "send_attempts",
        "send_error",
        "sent_at",
        "created_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: EmailMessage | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: EmailMessage | None = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict:
        # Sending again is the mailboxes' owners' (admins'); the view permission alone shows none.
        actions = super().get_actions(request)
        if not request.user.has_perm("mail.change_mailbox"):
            actions.pop("send_again", None)
        return actions


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    """The ready-made answers of each queue (managers): offered on the reply box of its email
    tickets, placeholders filled for the ticket and the agent."""

    list_display = ("title", "queue", "is_active", "updated_at")
    list_filter = ("is_active", "queue")
    list_select_related = ("queue",)
    search_fields = ("title", "body")
    fields = ("queue", "title", "body", "is_active")
