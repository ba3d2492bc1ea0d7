from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    """Customer records, their contact points, deduplication and data protection."""

    name = "customers"
    verbose_name = _("Customers")
