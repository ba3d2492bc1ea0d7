from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    """Telephony: the bridges to the PBX (Asterisk, FreeSWITCH, Twilio), click-to-dial, recordings."""

    name = "contactcenter.telephony"
    label = "telephony"
    verbose_name = _("Telephony")

    def ready(self) -> None:
        # Twilio has no bridge process: it is there when its settings are, and its commands run as
        # background jobs (contactcenter/telephony/twilio_bridge.py).
        from contactcenter.telephony import services, tasks, twilio_bridge  # noqa: PLC0415

        services.configured_bridge_register(twilio_bridge.twilio_online)
        services.command_requested_hook_register("twilio", tasks.twilio_command_requested)
