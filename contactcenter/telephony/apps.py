from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    """Telephony: the bridges to the PBX (Asterisk, FreeSWITCH, Twilio), click-to-dial, recordings."""

    name = "contactcenter.telephony"
    label = "telephony"
    verbose_name = _("Telephony")

    def ready(self) -> None:
        # Hooks are registered once the apps are loaded (Django's AppConfig.ready).
        from django.conf import settings  # noqa: PLC0415
        from django.db.models.signals import post_delete  # noqa: PLC0415

        from contactcenter.core.security import api_body_limit_register  # noqa: PLC0415
        from contactcenter.telephony import recordings, services, tasks, twilio_bridge  # noqa: PLC0415
        from contactcenter.telephony.models import Recording  # noqa: PLC0415
        from customers.services import customer_hooks_register  # noqa: PLC0415
        from interactions.cti import cti_recording_hook_register  # noqa: PLC0415

        # Twilio has no bridge process: it is there when its settings are, and its commands run as
        # background jobs (contactcenter/telephony/twilio_bridge.py).
        services.configured_bridge_register(twilio_bridge.twilio_online)
        services.command_requested_hook_register("twilio", tasks.twilio_command_requested)
        # A call that is over and names its recording: fetch it into storage (a background job).
        cti_recording_hook_register(tasks.recording_fetch_schedule)
        # A recording's file goes with its row, whatever deleted it (after the commit).
        post_delete.connect(recordings.recording_file_forget, sender=Recording, dispatch_uid="recording_file_forget")
        # A recording is uploaded in one request, larger than the API's other bodies (the form's own
        # fields fit in the margin); the view checks RECORDING_MAX_BYTES itself.
        api_body_limit_register(
            r"/api/v1/interactions/[0-9]+/recording/$", lambda: settings.RECORDING_MAX_BYTES + 64 * 1024
        )
        # An erased customer's recordings are deleted.
        customer_hooks_register(erased=recordings.recordings_customer_erased)
