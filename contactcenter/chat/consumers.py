"""``ws/chat/``: the visitor's socket (``docs/chat.md``, "The visitor's socket").

No cookie, no user: the widget's public ``key`` (query string) names the widget, the page's
``Origin`` must be one of the widget's allowed origins (else the handshake is refused, HTTP 403),
and the visitor's token (sent in the first message, ``start``; kept in the browser's
localStorage) names their conversation, so that a reload carries on with it. Messages from the
visitor are size-limited and rate-limited per socket; new conversations are rate-limited per client
address. The consumer authenticates, joins the conversation's group and relays; every write goes
through :mod:`contactcenter.chat.services`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation
from django.utils.translation import gettext as _

from contactcenter.chat import selectors, services
from contactcenter.chat.models import MAX_MESSAGE_CHARS, ChatConversation, ChatWidget, ConversationState
from contactcenter.chat.texts import widget_strings
from contactcenter.core.events import visitor_chat_group
from contactcenter.core.logins import scope_client_address

logger = logging.getLogger(__name__)

#: A frame longer than this is refused (a message of MAX_MESSAGE_CHARS characters, JSON-escaped, fits).
MAX_FRAME_CHARS = MAX_MESSAGE_CHARS * 2 + 500
#: A socket may send this many messages per :data:`WINDOW_SECONDS`; more are refused.
MESSAGES_PER_WINDOW = 15
WINDOW_SECONDS = 10.0
#: New conversations one client address may start per hour.
STARTS_PER_HOUR = 30
#: While the chat waits, its place in line is sent again this often (when it changed).
PLACE_INTERVAL_SECONDS = 5.0
#: Close codes: unknown widget or a refused start.
CLOSE_UNKNOWN = 4404
CLOSE_TOO_MANY = 4429


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def _may_start(address: str) -> bool:
    key = f"chat-starts:{address}"
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key) <= STARTS_PER_HOUR
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=3600)
        return True


class VisitorChatConsumer(AsyncWebsocketConsumer):
    """``ws/chat/?key=<widget key>&lang=<code>``: one visitor's conversation."""

    requests = {
        "start": "request_start",
        "message": "request_message",
        "typing": "request_typing",
        "feedback": "request_feedback",
        "agent": "request_agent",
        "identify": "request_identify",
        "leave_message": "request_leave_message",
        "close": "request_close",
        "csat": "request_csat",
        "ping": "request_ping",
    }

    async def connect(self) -> None:
        self.widget: ChatWidget | None = None
        self.conversation: ChatConversation | None = None
        self.group: str | None = None
        self.recent: deque[float] = deque(maxlen=MESSAGES_PER_WINDOW)
        self.place_task: asyncio.Task | None = None
        self.last_place: dict[str, Any] | None = None
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        key = (query.get("key") or [""])[0]
        self.wanted_language = (query.get("lang") or [""])[0][:10]
        widget = await database_sync_to_async(selectors.active_widget)(key=key)
        origin = _header(self.scope, b"origin")
        if widget is None or not widget.allows_origin(origin):
            # Refused at the handshake (HTTP 403): not a widget of ours, or not on its site.
            await self.close()
            return
        self.widget = widget
        self.language = widget.language_for(self.wanted_language)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.place_task is not None:
            self.place_task.cancel()
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def emit(self, event_type: str, body: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps({"type": event_type, **body}, cls=DjangoJSONEncoder))

    async def error(self, request: str | None, errors: dict[str, list[str]]) -> None:
        await self.emit("error", {"request": request, "errors": errors})

    # --- The visitor's messages ---------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.widget is None:
            return
        with translation.override(self.language):
            now = time.monotonic()
            if len(self.recent) == MESSAGES_PER_WINDOW and now - self.recent[0] < WINDOW_SECONDS:
                await self.error(None, {"type": [_("Too many messages: wait a few seconds and send it again.")]})
                return
            self.recent.append(now)
            if text_data is None or len(text_data) > MAX_FRAME_CHARS:
                await self.error(
                    None, {"text": [_("A message has at most %(max)s characters.") % {"max": MAX_MESSAGE_CHARS}]}
                )
                return
            try:
                data = json.loads(text_data)
            except ValueError:
                data = None
            if not isinstance(data, dict) or data.get("type") not in self.requests:
                await self.error(None, {"type": [_("Unknown message type.")]})
                return
            if data["type"] not in ("start", "ping") and self.conversation is None:
                await self.error(data["type"], {"type": [_("Start the chat first.")]})
                return
            try:
                await getattr(self, self.requests[data["type"]])(data)
            except ValidationError as error:
                await self.error(
                    data["type"], error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
                )
            except services.ChatOver:
                await self.error(data["type"], {"type": [_("This chat is over.")]})

    async def request_ping(self, data: dict[str, Any]) -> None:
        await self.emit("pong", {})

    async def request_start(self, data: dict[str, Any]) -> None:
        """``{"type": "start", "token": null | "…"}``: carry on with the token's conversation, or
        start one (a new token comes back in ``welcome``)."""
        if self.conversation is not None:
            await self.error("start", {"type": [_("The chat is started already.")]})
            return
        token = data.get("token")
        conversation = None
        if isinstance(token, str) and token:
            conversation = await database_sync_to_async(selectors.conversation_for_visitor)(
                widget=self.widget, token=token
            )
        new_token = None
        if conversation is None:
            address = scope_client_address(self.scope) or "unknown"
            if not await database_sync_to_async(_may_start)(address):
                await self.error("start", {"type": [_("Too many chats started from here: try again later.")]})
                await self.close(code=CLOSE_TOO_MANY)
                return
            conversation, new_token = await database_sync_to_async(services.chat_start)(
                widget=self.widget, language=self.wanted_language
            )
        self.conversation = conversation
        self.language = conversation.language
        self.group = visitor_chat_group(conversation.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        snapshot = await database_sync_to_async(selectors.visitor_snapshot)(conversation=conversation)
        await self.emit("welcome", {"token": new_token, "strings": widget_strings(conversation.language), **snapshot})
        if conversation.state == ConversationState.WAITING:
            self.watch_place()

    async def request_message(self, data: dict[str, Any]) -> None:
        await database_sync_to_async(services.chat_visitor_send)(conversation=self.conversation, text=data.get("text"))

    async def request_typing(self, data: dict[str, Any]) -> None:
        conversation = await self.fresh()
        await database_sync_to_async(services.chat_visitor_typing)(
            conversation=conversation, typing=bool(data.get("typing"))
        )

    async def request_feedback(self, data: dict[str, Any]) -> None:
        answer = data.get("answer")
        if not isinstance(answer, int):
            raise ValidationError({"answer": [_("There is no answer to rate here.")]})
        await database_sync_to_async(services.chat_bot_feedback)(
            conversation=self.conversation, answer_id=answer, helped=bool(data.get("helped"))
        )

    async def request_agent(self, data: dict[str, Any]) -> None:
        await database_sync_to_async(services.chat_request_agent)(conversation=self.conversation)

    async def request_identify(self, data: dict[str, Any]) -> None:
        await database_sync_to_async(services.chat_visitor_identify)(
            conversation=self.conversation, name=str(data.get("name") or ""), email=str(data.get("email") or "")
        )
        await self.emit("identified", {})

    async def request_leave_message(self, data: dict[str, Any]) -> None:
        await database_sync_to_async(services.chat_leave_message)(
            conversation=self.conversation,
            name=str(data.get("name") or ""),
            email=str(data.get("email") or ""),
            text=data.get("text"),
        )

    async def request_close(self, data: dict[str, Any]) -> None:
        await database_sync_to_async(services.chat_visitor_close)(conversation=self.conversation)

    async def request_csat(self, data: dict[str, Any]) -> None:
        await database_sync_to_async(services.chat_csat)(
            conversation=self.conversation, score=data.get("score"), comment=str(data.get("comment") or "")
        )
        await self.emit("csat_recorded", {"score": data.get("score")})

    async def fresh(self) -> ChatConversation:
        self.conversation = await database_sync_to_async(selectors.conversation_by_pk)(pk=self.conversation.pk)
        return self.conversation

    # --- The place in line ------------------------------------------------------------------

    def watch_place(self) -> None:
        if self.place_task is None or self.place_task.done():
            self.place_task = asyncio.ensure_future(self._place_loop())

    async def _place_loop(self) -> None:
        while True:
            await asyncio.sleep(PLACE_INTERVAL_SECONDS)
            conversation = await self.fresh()
            if conversation.state != ConversationState.WAITING:
                return
            place = await database_sync_to_async(services.place_payload)(conversation.work_item_id)
            if place != self.last_place:
                self.last_place = place
                await self.emit("queue", place)

    # --- Events of the conversation (the layer's ``visitor.<type>``) -----------------------------

    async def visitor_message(self, message: dict[str, Any]) -> None:
        await self.emit("message", message["payload"])

    async def visitor_typing(self, message: dict[str, Any]) -> None:
        await self.emit("typing", message["payload"])

    async def visitor_state(self, message: dict[str, Any]) -> None:
        payload = message["payload"]
        if self.conversation is not None:
            self.conversation.state = payload.get("state", self.conversation.state)
        if payload.get("state") == ConversationState.WAITING:
            self.watch_place()
        await self.emit("state", payload)

    async def visitor_queue(self, message: dict[str, Any]) -> None:
        self.last_place = message["payload"]
        await self.emit("queue", message["payload"])

    async def visitor_leave_message(self, message: dict[str, Any]) -> None:
        await self.emit("leave_message", message["payload"])

    async def visitor_ended(self, message: dict[str, Any]) -> None:
        await self.emit("ended", message["payload"])
