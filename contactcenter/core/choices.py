"""Vocabulary shared by several apps."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    VOICE = "voice", _("Voice")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat")
    SMS = "sms", _("SMS")
    SOCIAL = "social", _("Social")
    IVR = "ivr", _("IVR (self-service)")
    #: A message written on the customer portal (a reply to a ticket).
    WEB = "web", _("Web (customer portal)")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")
