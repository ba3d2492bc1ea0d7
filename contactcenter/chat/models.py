"""Web chat (docs/chat.md): the widgets a company embeds on its site, the conversations of its
visitors, their messages, and what the bot answered.

A :class:`ChatWidget` is one ``<script>`` tag on the company's site: its public ``key``, the queue
its chats are handed over to, the languages it speaks, the origins allowed to open its socket, its
colour, greeting and opening hours. A :class:`ChatConversation` starts with the bot and may be
handed over to an agent (a ``chat`` work item, then a ``chat`` interaction: its transcript is the
conversation's :class:`ChatMessage` rows). :class:`BotAnswer` keeps what the bot answered and
whether it helped.
"""

from __future__ import annotations

import re
import secrets
from datetime import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contactcenter.core.choices import Channel

#: A visitor's message, an agent's, or a leave-a-message text: at most this many characters.
MAX_MESSAGE_CHARS = 2000
_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour is written #rrggbb, e.g. #1f6feb."))
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def new_widget_key() -> str:
    """A widget's public key: random, URL-safe, in the embed tag."""
    return secrets.token_urlsafe(18)


def default_languages() -> list[str]:
    return [settings.LANGUAGE_CODE]


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower case; ``""`` when it is not an http(s) origin."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.hostname.lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    default_port = {"http": 80, "https": 443}[parts.scheme]
    try:
        port = parts.port
    except ValueError:
        return ""
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default_port else "")


class ChatWidget(models.Model):
    """One chat widget of the company's site (admin-managed)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    key = models.CharField(
        _("key"),
        max_length=40,
        unique=True,
        default=new_widget_key,
        editable=False,
        help_text=_("Public: it is in the embed tag."),
    )
    queue = models.ForeignKey(
        "agents.Queue",
        on_delete=models.PROTECT,
        related_name="chat_widgets",
        verbose_name=_("queue"),
        limit_choices_to={"channel": Channel.CHAT},
        help_text=_("The chat queue the conversations are handed over to."),
    )
    languages = models.JSONField(
        _("languages"),
        default=default_languages,
        help_text=_('Language codes the widget speaks, the first one by default, e.g. ["fr", "en"].'),
    )
    allowed_origins = models.JSONField(
        _("allowed origins"),
        default=list,
        blank=True,
        help_text=_('The sites that may show the widget, as scheme://host[:port], e.g. ["https://www.example.com"].'),
    )
    colour = models.CharField(_("colour"), max_length=7, default="#1f6feb", validators=[_COLOUR])
    greeting = models.JSONField(
        _("greeting"),
        default=dict,
        blank=True,
        help_text=_('The bot\'s first words per language, e.g. {"en": "Hello!", "fr": "Bonjour !"}.'),
    )
    opening_hours = models.JSONField(
        _("opening hours"),
        default=list,
        blank=True,
        help_text=_(
            "When agents take chats, in the center's time zone: a list of "
            '{"weekday": 0-6 (0 = Monday), "opens": "09:00", "closes": "18:00"}. '
            "Empty: always open."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("chat widget")
        verbose_name_plural = _("chat widgets")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        known = {code for code, _name in settings.LANGUAGES}
        if (
            not isinstance(self.languages, list)
            or not self.languages
            or any(code not in known for code in self.languages)
        ):
            errors["languages"] = [
                _("List one or more of the center's languages: %(codes)s.") % {"codes": ", ".join(sorted(known))}
            ]
        if not isinstance(self.allowed_origins, list) or any(
            not isinstance(origin, str) or origin_of(origin) != origin.rstrip("/").lower()
            for origin in self.allowed_origins
        ):
            errors["allowed_origins"] = [_("List origins written scheme://host[:port], without a path.")]
        if not isinstance(self.greeting, dict) or any(
            not isinstance(text, str) or len(text) > MAX_MESSAGE_CHARS for text in self.greeting.values()
        ):
            errors["greeting"] = [_('Give the greeting as {"language code": "text"}.')]
        if not _hours_valid(self.opening_hours):
            errors["opening_hours"] = [
                _('Give the hours as a list of {"weekday": 0-6, "opens": "HH:MM", "closes": "HH:MM"}.')
            ]
        if self.queue_id is not None and self.queue.channel != Channel.CHAT:
            errors["queue"] = [_("Choose a queue of the chat channel.")]
        if errors:
            raise ValidationError(errors)

    @property
    def origins(self) -> set[str]:
        return {origin_of(origin) for origin in self.allowed_origins or []}

    def allows_origin(self, origin: str) -> bool:
        return bool(origin) and origin_of(origin) in self.origins

    def language_for(self, wanted: str) -> str:
        """``wanted`` (a code, or an Accept-Language-like ``fr-FR``) if the widget speaks it, else its first."""
        code = (wanted or "").split("-")[0].lower()
        return code if code in self.languages else self.languages[0]

    def greeting_in(self, language: str) -> str:
        return (self.greeting or {}).get(language, "")

    def is_open(self, at=None) -> bool:
        """Whether agents take chats at ``at`` (now), by the opening hours in the center's time zone."""
        if not self.opening_hours:
            return True
        local = timezone.localtime(at or timezone.now())
        now = local.time()
        for window in self.opening_hours:
            if window["weekday"] == local.weekday() and _time(window["opens"]) <= now < _time(window["closes"]):
                return True
        return False


def _time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _hours_valid(hours: object) -> bool:
    if not isinstance(hours, list):
        return False
    for window in hours:
        if not isinstance(window, dict) or set(window) != {"weekday", "opens", "closes"}:
            return False
        if not isinstance(window["weekday"], int) or not 0 <= window["weekday"] <= 6:
            return False
        if not all(isinstance(window[k], str) and _TIME.match(window[k]) for k in ("opens", "closes")):
            return False
        if _time(window["opens"]) >= _time(window["closes"]):
            return False
    return True


class ConversationState(models.TextChoices):
    BOT = "bot", _("With the bot")
    WAITING = "waiting", _("Waiting for an agent")
    ACTIVE = "active", _("With an agent")
    CLOSED = "closed", _("Closed")
    MESSAGE_LEFT = "message_left", _("Message left")


#: The states of a conversation that is over.
ENDED_STATES = (ConversationState.CLOSED, ConversationState.MESSAGE_LEFT)


class EndedBy(models.TextChoices):
    VISITOR = "visitor", _("Visitor")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("System")


class ChatConversation(models.Model):
    """One visitor's conversation through a widget, from the bot to its end."""

    widget = models.ForeignKey(
        ChatWidget, on_delete=models.PROTECT, related_name="conversations", verbose_name=_("widget")
    )
    token_hash = models.CharField(_("visitor token (hashed)"), max_length=64, unique=True, editable=False)
    visitor_name = models.CharField(_("visitor's name"), max_length=150, blank=True)
    visitor_email = models.EmailField(_("visitor's email"), blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chat_conversations",
        verbose_name=_("customer"),
    )
    state = models.CharField(
        _("state"), max_length=15, choices=ConversationState.choices, default=ConversationState.BOT
    )
    # No database constraint: the interactions table may be partitioned by month, and a foreign
    # key to it would need the month too (interactions/partitions.py). Django keeps on_delete.
    interaction = models.OneToOneField(
        "interactions.Interaction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="chat_conversation",
        verbose_name=_("interaction"),
    )
    work_item = models.OneToOneField(
        "routing.WorkItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chat_conversation",
        verbose_name=_("work item"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chat_conversations",
        verbose_name=_("agent"),
    )
    ticket = models.ForeignKey(
        "interactions.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chat_conversations",
        verbose_name=_("ticket"),
        help_text=_("The ticket the visitor's message became."),
    )
    unhelpful_answers = models.PositiveSmallIntegerField(_("unhelpful bot answers"), default=0)
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.CharField(_("ended by"), max_length=10, choices=EndedBy.choices, blank=True)
    last_activity_at = models.DateTimeField(_("last activity at"), default=timezone.now)
    csat = models.PositiveSmallIntegerField(
        _("CSAT"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("chat conversation")
        verbose_name_plural = _("chat conversations")
        indexes = [
            models.Index(fields=["started_at"], name="chat_conversation_started_idx"),
            models.Index(fields=["agent", "state"], name="chat_conversation_agent_idx"),
            models.Index(fields=["state", "last_activity_at"], name="chat_conversation_state_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | (Q(csat__gte=1) & Q(csat__lte=5)),
                name="chat_csat_1_5",
                violation_error_message=_("A CSAT score is from 1 to 5."),
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Chat')} #{self.pk}"

    @property
    def is_ended(self) -> bool:
        return self.state in ENDED_STATES


class Author(models.TextChoices):
    VISITOR = "visitor", _("Visitor")
    BOT = "bot", _("Bot")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("System")


class ChatMessage(models.Model):
    """One message of a conversation (the transcript)."""

    conversation = models.ForeignKey(
        ChatConversation, on_delete=models.CASCADE, related_name="messages", verbose_name=_("conversation")
    )
    author = models.CharField(_("author"), max_length=10, choices=Author.choices)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    text = models.TextField(_("text"), max_length=MAX_MESSAGE_CHARS)
    article = models.ForeignKey(
        "knowledge.Article",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("article quoted"),
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        indexes = [models.Index(fields=["conversation", "id"], name="chat_message_conversation_idx")]

    def __str__(self) -> str:
        return f"{self.get_author_display()}: {self.text[:50]}"


class BotAnswer(models.Model):
    """What the bot answered to one question, and whether the visitor said it helped."""

    conversation = models.ForeignKey(
        ChatConversation, on_delete=models.CASCADE, related_name="bot_answers", verbose_name=_("conversation")
    )
    question = models.TextField(_("question"))
    article = models.ForeignKey(
        "knowledge.Article",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("article"),
    )
    score = models.FloatField(_("score"), default=0.0)
    helped = models.BooleanField(_("helped"), null=True, blank=True)
    created_at = models.DateTimeField(_("answered at"), default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("bot answer")
        verbose_name_plural = _("bot answers")

    def __str__(self) -> str:
        return self.question[:50]
