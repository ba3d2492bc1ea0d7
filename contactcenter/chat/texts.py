"""The widget's own words, sent to it in the conversation's language (the widget holds no text)."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _

WIDGET_STRINGS = {
    "open": _("Chat with us"),
    "close": _("Close the chat"),
    "title": _("Chat"),
    "placeholder": _("Write your message…"),
    "send": _("Send"),
    "agent": _("Talk to an agent"),
    "helped": _("Yes, it helped"),
    "not_helped": _("No"),
    "read_article": _("Read the article"),
    "waiting": _("Waiting for an agent"),
    "position": _("You are number %(position)s in line."),
    "wait": _("Estimated wait: about %(minutes)s min."),
    "typing": _("The agent is typing…"),
    "leave_title": _("Leave us a message"),
    "name": _("Your name"),
    "email": _("Your email"),
    "message": _("Your message"),
    "leave_send": _("Send the message"),
    "left": _("Thank you: we will answer you by email."),
    "end": _("End the chat"),
    "ended": _("The chat is over."),
    "csat": _("How satisfied are you with this chat?"),
    "csat_thanks": _("Thank you for your answer."),
    "new_chat": _("Start a new chat"),
    "offline": _("Connection lost: trying again…"),
    "you": _("You"),
    "bot": _("Assistant"),
}


def widget_strings(language: str) -> dict[str, str]:
    with translation.override(language):
        return {key: str(text) for key, text in WIDGET_STRINGS.items()}
