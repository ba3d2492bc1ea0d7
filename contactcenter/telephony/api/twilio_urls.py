"""Twilio's webhook route, included under ``/api/v1/`` by ``contactcenter/api_urls.py`` beside
the CTI intake's ``cti/events/``."""

from django.urls import path

from contactcenter.telephony.api.twilio_views import TwilioWebhookView

urlpatterns = [
    path("cti/twilio/", TwilioWebhookView.as_view(), name="cti-twilio"),
]
