from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    """Telephony: the bridges to the PBX (Asterisk, FreeSWITCH, Twilio), click-to-dial, recordings."""

    name = "contactcenter.telephony"
    label = "telephony"
    verbose_name = _("Telephony")
