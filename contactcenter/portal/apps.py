from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The customers' portal: sign-in by emailed link, their tickets, public articles, surveys."""

    name = "contactcenter.portal"
    label = "portal"
    verbose_name = _("Customer portal")
