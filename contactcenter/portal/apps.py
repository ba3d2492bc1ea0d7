from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The customers' portal: sign-in by emailed link, their tickets, public articles, surveys."""

    name = "contactcenter.portal"
    label = "portal"
    verbose_name = _("Customer portal")

    def ready(self) -> None:
        # Hooks are registered once the apps are loaded (Django's AppConfig.ready).
        from contactcenter.portal.services import portal_customer_erased, portal_customer_merged  # noqa: PLC0415
        from customers.services import customer_hooks_register  # noqa: PLC0415

        # A merged customer's links and messages follow them; an erased one's are blanked.
        customer_hooks_register(merged=portal_customer_merged, erased=portal_customer_erased)
