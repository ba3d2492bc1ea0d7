from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactCenterConfig(AppConfig):
    """The project app: templates, translations and site-wide commands."""

    name = "contactcenter"
    verbose_name = _("Switchboard")
