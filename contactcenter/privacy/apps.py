from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Retention periods of personal data, and the job that applies them."""

    name = "contactcenter.privacy"
    label = "privacy"
    verbose_name = _("Data protection")

    def ready(self) -> None:
        # Receivers are connected once the models are loaded (Django's AppConfig.ready).
        from contactcenter.privacy.defaults import connect_signals  # noqa: PLC0415

        connect_signals()
