from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    """Email: the mailboxes, the messages they receive and send, each on its ticket."""

    name = "contactcenter.mail"
    label = "mail"
    verbose_name = _("Email")
