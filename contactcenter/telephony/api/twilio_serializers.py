"""The form fields of Twilio's webhooks that Switchboard reads, for the API's documentation:
Twilio posts them form-encoded and signs them; :mod:`contactcenter.telephony.twilio_bridge` reads
them as posted (every field counts in the signature, read or not)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


def _field(help_text: str) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, help_text=help_text)


class TwilioWebhookSerializer(serializers.Serializer):
    """A Voice status callback, a TaskRouter event callback or a recording status callback."""

    CallSid = _field(_("Voice and recordings: the call (CA…)."))
    CallStatus = _field(
        _("Voice: queued, initiated, ringing, in-progress, completed, busy, failed, no-answer or canceled.")
    )
    ParentCallSid = _field(_("Voice: the call that dialed this leg."))
    Direction = _field(_("Voice: inbound, outbound-api or outbound-dial."))
    From = _field(_("Voice: the calling party."))
    To = _field(_("Voice: the called party."))
    Timestamp = _field(_("When it happened: RFC 2822 (Voice) or seconds since 1970 (TaskRouter)."))
    CallDuration = _field(_("Voice: the call's length in seconds, once completed."))
    EventType = _field(_("TaskRouter: task.created, reservation.accepted, task.wrapup, task.completed, task.canceled…"))
    TimestampMs = _field(_("TaskRouter: when it happened, in milliseconds since 1970."))
    TaskAttributes = _field(_("TaskRouter: the task's attributes (JSON), with call_sid, from and to."))
    TaskQueueName = _field(_("TaskRouter: the TaskQueue's name, a Switchboard queue's name."))
    WorkerName = _field(_("TaskRouter: the worker's name."))
    WorkerAttributes = _field(_("TaskRouter: the worker's attributes (JSON), with contact_uri."))
    RecordingSid = _field(_("Recordings: the recording (RE…)."))
    RecordingUrl = _field(_("Recordings: where the recording is fetched (with the account's credentials)."))
    RecordingStatus = _field(_("Recordings: in-progress, completed, absent or failed."))
    RecordingStartTime = _field(_("Recordings: when it started (RFC 2822)."))
    RecordingDuration = _field(_("Recordings: its length in seconds."))
