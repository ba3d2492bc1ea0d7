from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    """Web chat: the widget on the company's site, its bot, and the chats handed over to agents."""

    name = "contactcenter.chat"
    label = "chat"
    verbose_name = _("Web chat")

    def ready(self) -> None:
        # Hooks are registered once the apps are loaded (Django's AppConfig.ready).
        from contactcenter.chat import selectors, services  # noqa: PLC0415
        from contactcenter.distribution.services import offer_accepted_hook_register  # noqa: PLC0415
        from customers.selectors import customer_export_hook_register  # noqa: PLC0415
        from customers.services import customer_hooks_register  # noqa: PLC0415

        # An agent accepting a chat's offer makes the conversation theirs.
        offer_accepted_hook_register(services.chat_offer_accepted)
        # A customer's chats follow a merge; an erasure blanks their transcripts.
        customer_hooks_register(merged=services.chat_customer_merged, erased=services.chat_customer_erased)
        # A customer's data-protection export holds their chats and what was said in them.
        customer_export_hook_register("chats", selectors.customer_chats_export)
