from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    """Email: the mailboxes, the messages they receive and send, each on its ticket."""

    name = "contactcenter.mail"
    label = "mail"
    verbose_name = _("Email")

    def ready(self) -> None:
        # Hooks are registered once the apps are loaded (Django's AppConfig.ready).
        from contactcenter.mail.outbound import comment_to_email  # noqa: PLC0415
        from contactcenter.mail.services import email_customer_erased  # noqa: PLC0415
        from customers.services import customer_hooks_register  # noqa: PLC0415
        from interactions.services import ticket_comment_watcher_register  # noqa: PLC0415

        # A public comment on an email ticket is sent to the customer.
        ticket_comment_watcher_register(comment_to_email)
        # An erased customer's mail loses its personal data and its files.
        customer_hooks_register(erased=email_customer_erased)
