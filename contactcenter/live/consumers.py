"""The two sockets (SPEC §6): ``ws/agent/`` (an agent's own stream) and ``ws/wallboard/``.

Consumers authenticate, join the groups :mod:`contactcenter.core.events` names for their user,
and relay (STYLE.md principle 5). Before relaying an event they ask the user's scope again
(:func:`~contactcenter.live.selectors.cached_socket_scope`: from memory, forgotten as soon as a
``scope_changed`` arrives), so a user deactivated, demoted or moved to another team stops
receiving at the latest with the next event. Every message a socket receives is
``{"type", "at", "seq", ...}``, ``seq`` counting from 1 on each connection (``docs/live.md``).

Nothing is lost silently: the layer numbers each group's messages on the publishing side
(:mod:`contactcenter.live.layers`); a socket that misses some (a hole in a group's numbers, a
``stream.lost`` from a publisher that could not publish, its layer connection back after a break)
skips as many numbers of its own ``seq`` and sends ``resync``: the page refetches its state.

Close codes: 4401 without a user (anonymous, bad or used ticket, deactivated), 4403 for a user
whose role may not open this socket (no role; an agent on the wallboard).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
import weakref
from collections import deque
from types import SimpleNamespace
from typing import Any

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contactcenter.agents import presence
from contactcenter.agents.api.serializers import MyStatusSerializer
from contactcenter.agents.models import AgentProfile, Status
from contactcenter.agents.states import agent_state_request
from contactcenter.core import events
from contactcenter.live import selectors
from contactcenter.live.layers import STREAM, STREAM_SEQ
from contactcenter.live.selectors import SocketScope
from contactcenter.live.streams import StreamWatch
from contactcenter.scripts.models import ScriptVersion
from contactcenter.scripts.selectors import call_script
from customers.api.serializers import CustomerSerializer, InteractionSummarySerializer, TicketSummarySerializer
from customers.selectors import ScreenPop, screen_pop
from interactions.events import interaction_summary

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
#: A message from a client longer than this is refused (a ``set_status`` is about 60 characters).
MAX_CLIENT_MESSAGE_CHARS = 4096
#: A socket may send this many messages per :data:`CLIENT_WINDOW_SECONDS`; more are refused.
CLIENT_MESSAGES_PER_WINDOW = 20
CLIENT_WINDOW_SECONDS = 10.0
#: ``queue_stats`` for one queue reaches a socket at most once per this many seconds.
QUEUE_STATS_INTERVAL_SECONDS = 1.0

_background: set[asyncio.Task] = set()


def _in_background(coroutine) -> asyncio.Task:
    task = asyncio.ensure_future(coroutine)
    _background.add(task)
    task.add_done_callback(_background.discard)
    return task


def _language(scope: dict[str, Any]) -> str:
    """The socket's language, as Django picks a page's: the language cookie, then Accept-Language."""
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}
    request = SimpleNamespace(
        COOKIES=scope.get("cookies", {}), META={"HTTP_ACCEPT_LANGUAGE": headers.get("accept-language", "")}
    )
    return translation.get_language_from_request(request)


class LiveConsumer(AsyncWebsocketConsumer):
    """What both sockets share: authentication, server-built groups, ``seq``, client messages."""

    #: Request type → method name, for messages the client may send.
    requests: dict[str, str] = {"ping": "request_ping"}

    # --- Opening and closing --------------------------------------------------------------------

    async def connect(self) -> None:
        self.seq = 0
        self.is_open = False
        self.joined: set[str] = set()
        self.send_lock = asyncio.Lock()
        self.language = _language(self.scope)
        self.audience: SocketScope | None = None
        self.recent_requests: deque[float] = deque(maxlen=CLIENT_MESSAGES_PER_WINDOW)
        self.streams = StreamWatch()
        self.hole_timer: asyncio.TimerHandle | None = None
        # Accept first: a close code only reaches the client on an open socket.
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = user.pk
        audience = await database_sync_to_async(selectors.socket_scope)(user_id=user.pk)
        refusal = self.refusal(audience)
        if refusal is not None:
            await self.close(code=refusal)
            return
        self.audience = audience
        self.is_open = True
        await self.join(self.groups_for(audience))
        await self.opened(audience)

    async def disconnect(self, code: int) -> None:
        was_open, self.is_open = getattr(self, "is_open", False), False
        if getattr(self, "hole_timer", None) is not None:
            self.hole_timer.cancel()
            self.hole_timer = None
        await self.join(set())
        if was_open:
            await self.closed()

    async def join(self, groups: set[str]) -> None:
        """Be in exactly ``groups`` (names from :mod:`contactcenter.core.events`), counting each
        group's numbers from its counter when joined."""
        for group in self.joined - groups:
            self.streams.left(group)
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # the layer is away: the group forgets this channel all the same
                logger.warning("socket not removed from group %s", group, exc_info=True)
        for group in groups - self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.streams.joined(group, await self.stream_counter(group))
        self.joined = set(groups)

    async def stream_counter(self, group: str) -> int | None:
        """The number of the last message sent to ``group``; ``None`` if the layer cannot say."""
        group_seq = getattr(self.channel_layer, "group_seq", None)
        if group_seq is None:
            return None
        try:
            return await group_seq(group)
        except Exception:
            logger.warning("counter of group %s not read", group, exc_info=True)
            return None

    async def shut(self, code: int) -> None:
        """Close the socket with ``code`` and stop relaying at once."""
        self.is_open = False
        await self.join(set())
        await self.close(code=code)
        await self.closed()

    def refusal(self, audience: SocketScope | None) -> int | None:
        """The close code for a user who may not hold this socket, ``None`` when they may."""
        if audience is None or not audience.active:
            return CLOSE_UNAUTHENTICATED
        return None if self.may_open(audience) else CLOSE_FORBIDDEN

    def may_open(self, audience: SocketScope) -> bool:
        raise NotImplementedError

    def groups_for(self, audience: SocketScope) -> set[str]:
        raise NotImplementedError

    async def opened(self, audience: SocketScope) -> None:
        """Called once the socket is accepted, authorized and in its groups."""

    async def closed(self) -> None:
        """Called once when an authorized socket goes away."""

    # --- Sending ------------------------------------------------------------------------------

    async def emit(self, event_type: str, body: dict[str, Any], at: str | None = None, skip: int = 0) -> None:
        """Send ``{"type", "at", "seq", **body}``; ``seq`` counts this connection's messages, and
        jumps ``skip`` numbers more for messages the socket missed."""
        async with self.send_lock:
            if not self.is_open:
                return
            self.seq += 1 + skip
            message = {"type": event_type, "at": at or timezone.now().isoformat(), "seq": self.seq, **body}
            await self.send(text_data=json.dumps(message, cls=DjangoJSONEncoder))

    async def current_audience(self) -> SocketScope | None:
        """The user's scope, asked again (from memory) before each relay; closes a socket whose
        user may no longer hold it, and answers ``None`` then."""
        if not self.is_open:
            return None
        audience = await selectors.cached_socket_scope(user_id=self.user_id)
        refusal = self.refusal(audience)
        if refusal is not None:
            await self.shut(refusal)
            return None
        self.audience = audience
        return audience

    # --- Layer messages ---------------------------------------------------------------------------

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Call the handler named after the message's type.

        Unlike Channels' own dispatch, this does not hop to the ORM's thread to close old database
        connections before every message: these consumers touch the ORM only through
        ``database_sync_to_async``, which does that itself, and the hop (one per message per socket,
        all through one thread) was the largest cost of fanning an event out to many sockets.
        An event this socket does not relay (the wallboard hears its user's own stream only for
        ``scope_changed``) is dropped; a relay that fails is logged and the socket goes on.
        """
        handler = getattr(self, get_handler_name(message), None)
        if message["type"].startswith("websocket."):
            if handler is None:
                raise ValueError(f"No handler for message type {message['type']}")
            await handler(message)
            return
        stream, number = message.get(STREAM), message.get(STREAM_SEQ)
        if isinstance(stream, str) and isinstance(number, int):
            lost = self.streams.seen(stream, number, time.monotonic())
            if lost:
                await self.resync("gap", lost)
            elif self.hole_timer is None:
                self.watch_holes()
        if handler is None:
            return
        try:
            await handler(message)
        except Exception:
            logger.exception("live event %s not relayed", message["type"])

    # --- Lost messages --------------------------------------------------------------------------------

    async def resync(self, reason: str, lost: int = 1) -> None:
        """Tell the page it missed messages: ``seq`` skips ``lost`` numbers, then ``resync``
        (``reason``: ``gap``, ``lost`` or ``reconnected``); the page refetches its state."""
        await self.emit("resync", {"reason": reason}, skip=max(lost, 1))

    def watch_holes(self) -> None:
        """Check the open holes of the groups' numbers when the first one is due."""
        if self.hole_timer is not None or not self.is_open:
            return
        deadline = self.streams.next_deadline()
        if deadline is not None:
            delay = max(deadline - time.monotonic(), 0.0)
            self.hole_timer = asyncio.get_running_loop().call_later(delay, self._holes_due)

    def _holes_due(self) -> None:
        self.hole_timer = None
        _in_background(self.check_holes())

    async def check_holes(self) -> None:
        lost = self.streams.overdue(time.monotonic())
        if lost:
            await self.resync("gap", lost)
        self.watch_holes()

    async def layer_reconnected(self, message: dict[str, Any]) -> None:
        """The layer's connection of this process came back after a break: what was published
        meanwhile is lost. Count each group from its counter again, and tell the page."""
        if not self.is_open:
            return
        for group in self.joined:
            self.streams.joined(group, await self.stream_counter(group))
        await self.resync("reconnected")

    async def stream_lost(self, message: dict[str, Any]) -> None:
        """A publisher could not publish to one of our groups (its Redis was away)."""
        if self.is_open:
            await self.resync("lost")

    async def scope_changed(self, message: dict[str, Any]) -> None:
        """A user's role, team, queues or active flag changed: read our scope again."""
        if not self.is_open:
            return
        selectors.forget_socket_scopes(message["payload"].get("mark"))
        before = self.audience
        audience = await self.current_audience()
        if audience is not None:
            await self.scope_refreshed(before, audience)

    async def scope_refreshed(self, before: SocketScope | None, audience: SocketScope) -> None:
        await self.join(self.groups_for(audience))

    # --- Client messages --------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.is_open:
            return
        with translation.override(self.language):
            now = time.monotonic()
            if (
                len(self.recent_requests) == CLIENT_MESSAGES_PER_WINDOW
                and now - self.recent_requests[0] < CLIENT_WINDOW_SECONDS
            ):
                await self.error(None, {"type": [_("Too many messages: wait a few seconds and send it again.")]})
                return
            self.recent_requests.append(now)
            if text_data is None:
                await self.error(None, {"type": [_("Send JSON text messages, not binary ones.")]})
                return
            if len(text_data) > MAX_CLIENT_MESSAGE_CHARS:
                await self.error(
                    None, {"type": [_("A message has at most %(max)s characters.") % {"max": MAX_CLIENT_MESSAGE_CHARS}]}
                )
                return
            try:
                data = json.loads(text_data)
            except ValueError:
                data = None
            if not isinstance(data, dict) or not isinstance(data.get("type"), str):
                await self.error(None, {"type": [_('Send a JSON object with a "type".')]})
                return
            method = self.requests.get(data["type"])
            if method is None:
                choices = ", ".join(sorted(self.requests))
                await self.error(
                    data["type"][:50],
                    {"type": [_("Unknown message type. Choose one of: %(types)s.") % {"types": choices}]},
                )
                return
        await getattr(self, method)(data)

    async def error(self, request: str | None, errors: dict[str, list[str]]) -> None:
        """Tell the client what was wrong with its message; nothing was changed."""
        await self.emit("error", {"request": request, "errors": errors})

    async def request_ping(self, data: dict[str, Any]) -> None:
        await self.emit("pong", {})


# --- ws/agent/ ------------------------------------------------------------------------------------


def _set_own_status(*, user_id: int, data: dict[str, Any], language: str) -> dict[str, list[str]] | None:
    """Validate a ``set_status`` message like ``PUT agents/me/status/`` and apply it; the errors
    (field → messages) or ``None``."""

    with translation.override(language):
        serializer = MyStatusSerializer(data={key: data[key] for key in ("status", "reason") if key in data})
        if not serializer.is_valid():
            return {field: [str(message) for message in messages] for field, messages in serializer.errors.items()}
        profile = AgentProfile.objects.select_related("user").filter(user_id=user_id).first()
        if profile is None:
            return {"status": [_("Only agents have a presence status.")]}
        try:
            agent_state_request(
                profile=profile,
                status=serializer.validated_data["status"],
                reason=serializer.validated_data["reason"],
                by=profile.user,
            )
        except ValidationError as exc:
            return {field: [str(message) for message in messages] for field, messages in exc.message_dict.items()}
    return None


def screen_pop_message(pop: ScreenPop, script: ScriptVersion | None) -> dict[str, Any]:
    """The ``screen_pop`` message: the shapes of ``GET /api/v1/customers/lookup/`` for the customer,
    tickets and interactions, the live shape of the call, and the script (``docs/live.md``)."""
    return {
        "caller": pop.caller,
        "interaction": interaction_summary(pop.interaction),
        "customer": CustomerSerializer(pop.customer).data if pop.customer is not None else None,
        "open_tickets": TicketSummarySerializer(pop.open_tickets, many=True).data,
        "last_interactions": InteractionSummarySerializer(pop.last_interactions, many=True).data,
        "script": (
            {
                "id": script.pk,
                "name": script.script.name,
                "number": script.number,
                "published_at": script.published_at.isoformat() if script.published_at else None,
                "steps": script.steps,
            }
            if script is not None
            else None
        ),
    }


def screen_pop_for(*, interaction_id: int, user_id: int) -> dict[str, Any] | None:
    """The screen pop of ``interaction_id`` as the active user ``user_id`` may see it, as the socket
    sends it; ``None`` when it is not theirs to see. Six queries at most, whatever the history."""
    user = get_user_model().objects.select_related("agent_profile").filter(pk=user_id, is_active=True).first()
    pop = screen_pop(user=user, interaction_id=interaction_id) if user is not None else None
    if pop is None:
        return None
    return screen_pop_message(pop, call_script(interaction=pop.interaction))


class AgentConsumer(LiveConsumer):
    """``ws/agent/``: the connected user's own stream, and their presence."""

    requests = {**LiveConsumer.requests, "set_status": "request_set_status"}

    def may_open(self, audience: SocketScope) -> bool:
        return audience.may_open_agent_stream

    def groups_for(self, audience: SocketScope) -> set[str]:
        return events.agent_stream_groups(user_id=audience.user_id, queue_ids=audience.queue_ids)

    async def opened(self, audience: SocketScope) -> None:
        self.status = audience.status
        self.heartbeat: asyncio.Task | None = None
        if audience.status is not None:  # an agent profile: the socket keeps its agent present
            try:
                await sync_to_async(presence.presence_mark_seen, thread_sensitive=False)(user_id=self.user_id)
            except Exception:  # the cache is down for a moment: the heartbeat writes it again
                logger.warning("presence mark of user %s not written", self.user_id, exc_info=True)
            self.heartbeat = _in_background(self._beat())

    async def closed(self) -> None:
        heartbeat = getattr(self, "heartbeat", None)
        if heartbeat is None:
            return
        heartbeat.cancel()
        self.heartbeat = None
        try:
            await sync_to_async(presence.presence_mark_seen, thread_sensitive=False)(user_id=self.user_id)
        except Exception:  # the sweep gives an agent without a mark a full grace
            logger.warning("presence mark of user %s not written", self.user_id, exc_info=True)
        # This process checks once the grace is over; the presence_sweep command covers a crash.
        _in_background(_offline_after_grace(self.user_id, presence.grace_seconds() * 1.05 + 0.5))

    async def _beat(self) -> None:
        interval = presence.heartbeat_seconds()
        while True:
            await asyncio.sleep(interval)
            try:
                await sync_to_async(presence.presence_mark_seen, thread_sensitive=False)(user_id=self.user_id)
            except Exception:  # the cache is down for a moment: the next beat tries again
                logger.warning("presence mark of user %s not written", self.user_id, exc_info=True)

    # Events, each named after its type.

    async def screen_pop(self, message: dict[str, Any]) -> None:
        if await self.current_audience() is None:
            return
        ref = message["payload"]
        pop = await database_sync_to_async(screen_pop_for)(interaction_id=ref["interaction"], user_id=self.user_id)
        if pop is None:
            return
        await self.emit("screen_pop", pop, at=message["at"])

    async def incoming(self, message: dict[str, Any]) -> None:
        audience = await self.current_audience()
        payload = message["payload"]
        if audience is None or self.status != Status.AVAILABLE or payload.get("queue") not in audience.queue_ids:
            return
        body = {"interaction": _interaction_of(payload), "customer": payload.get("_customer")}
        await self.emit("incoming", body, at=message["at"])

    async def ticket_assigned(self, message: dict[str, Any]) -> None:
        await self.relay_ticket(message)

    async def ticket_updated(self, message: dict[str, Any]) -> None:
        await self.relay_ticket(message)

    async def relay_ticket(self, message: dict[str, Any]) -> None:
        payload = message["payload"]
        # As committed; only its reference when the publisher could not read it.
        ticket = payload.get("_ticket") or {
            "id": payload.get("ticket"),
            "reference": payload.get("reference"),
            "status": payload.get("status"),
            "version": payload.get("version"),
        }
        if await self.current_audience() is not None:
            await self.emit(message["type"], {"ticket": ticket}, at=message["at"])

    async def status_changed(self, message: dict[str, Any]) -> None:
        self.status = message["payload"].get("status", self.status)
        await self.relay(message)

    async def call_hold(self, message: dict[str, Any]) -> None:
        await self.relay(message)

    async def offer(self, message: dict[str, Any]) -> None:
        # Work offered to this agent by the routing (docs/routing.md); accepted or declined by HTTP.
        await self.relay(message)

    async def offer_closed(self, message: dict[str, Any]) -> None:
        await self.relay(message)

    async def quality_evaluation(self, message: dict[str, Any]) -> None:
        # ``quality.evaluation``: an evaluation of the agent's was published to them or decided
        # (docs/quality.md); Channels names its handler with the dot as an underscore.
        await self.relay(message)

    async def relay(self, message: dict[str, Any]) -> None:
        if await self.current_audience() is not None:
            await self.emit(message["type"], selectors.public(message["payload"]), at=message["at"])

    # Client requests.

    async def request_set_status(self, data: dict[str, Any]) -> None:
        errors = await database_sync_to_async(_set_own_status)(user_id=self.user_id, data=data, language=self.language)
        if errors:
            await self.error("set_status", errors)
        # Otherwise the change comes back as ``status_changed`` once committed.


async def _offline_after_grace(user_id: int, delay: float) -> None:
    await asyncio.sleep(delay)
    try:
        await database_sync_to_async(presence.presence_check)(user_id=user_id)
    except Exception:
        logger.warning("presence check of user %s failed", user_id, exc_info=True)


def _interaction_of(payload: dict[str, Any]) -> dict[str, Any]:
    """The interaction of an ``incoming`` or ``interaction_logged`` event; its id alone when the
    publisher could not read it (the client then reads it over HTTP)."""
    return payload.get("_interaction") or {"id": payload.get("interaction")}


# --- ws/wallboard/ ----------------------------------------------------------------------------------


class QueueStatsHub:
    """This event loop's (process's) source of ``queue_stats``.

    The wallboards of the process tell it which queues an event touched; it recomputes those
    queues' figures in one query, at most once per :data:`QUEUE_STATS_INTERVAL_SECONDS` per queue
    (the first change at once, later ones together at the end of the interval, so the last word
    is always sent), and hands them to every wallboard, which keeps the queues its user may see.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.watchers: set[WallboardConsumer] = set()
        self.pending: set[int] = set()
        self.last: dict[int, float] = {}
        self.timer: asyncio.TimerHandle | None = None
        self.running = False

    def touch(self, queue_ids) -> None:
        queue_ids = {queue_id for queue_id in queue_ids if queue_id is not None}
        if queue_ids and self.watchers:
            self.pending |= queue_ids
            self._schedule()

    def _due(self, queue_id: int) -> float:
        return self.last.get(queue_id, -math.inf) + QUEUE_STATS_INTERVAL_SECONDS

    def _schedule(self) -> None:
        if self.timer is not None or self.running or not self.pending:
            return
        delay = max(min(self._due(queue_id) for queue_id in self.pending) - time.monotonic(), 0.0)
        self.timer = self.loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        self.timer = None
        self.running = True
        _in_background(self._run())

    async def _run(self) -> None:
        try:
            now = time.monotonic()
            ready = {queue_id for queue_id in self.pending if self._due(queue_id) <= now}
            self.pending -= ready
            if ready:
                for queue_id in ready:
                    self.last[queue_id] = now
                rows = await database_sync_to_async(selectors.queue_stats)(queue_ids=ready)
                at = timezone.now().isoformat()
                for watcher in list(self.watchers):
                    await watcher.queue_stats_computed(rows, at)
        except Exception:
            logger.warning("queue figures not computed", exc_info=True)
        finally:
            self.running = False
            self._schedule()


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, QueueStatsHub] = weakref.WeakKeyDictionary()


def queue_stats_hub() -> QueueStatsHub:
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = QueueStatsHub(loop)
    return hub


class WallboardConsumer(LiveConsumer):
    """``ws/wallboard/`` (supervisors and up): agents' statuses, queue figures, interactions.

    A supervisor sees their team's agents and the queues those agents serve (as the access policy
    says); managers and admins see everything.
    """

    def may_open(self, audience: SocketScope) -> bool:
        return audience.may_watch_wallboard

    def groups_for(self, audience: SocketScope) -> set[str]:
        return events.wallboard_groups(user_id=audience.user_id)

    async def opened(self, audience: SocketScope) -> None:
        await self.send_queue_stats(audience)
        queue_stats_hub().watchers.add(self)

    async def closed(self) -> None:
        queue_stats_hub().watchers.discard(self)

    async def scope_refreshed(self, before: SocketScope | None, audience: SocketScope) -> None:
        await super().scope_refreshed(before, audience)
        if before is None or before.team_queue_ids != audience.team_queue_ids:
            await self.send_queue_stats(audience)

    async def send_queue_stats(self, audience: SocketScope) -> None:
        rows = await database_sync_to_async(selectors.queue_stats)(queue_ids=selectors.visible_queue_ids(audience))
        await self.emit_queue_stats(rows)

    async def emit_queue_stats(self, rows: list[dict[str, Any]], at: str | None = None) -> None:
        await self.emit(
            "queue_stats",
            {"day": timezone.localdate().isoformat(), "queues": [selectors.public(row) for row in rows]},
            at=at,
        )

    async def queue_stats_computed(self, rows: list[dict[str, Any]], at: str) -> None:
        """New figures from the hub: send those of the queues this user may see."""
        audience = await self.current_audience()
        if audience is None:
            return
        mine = [row for row in rows if audience.sees_queue(row["_id"])]
        if mine:
            await self.emit_queue_stats(mine, at=at)

    # Events, each named after its type.

    async def agent_status(self, message: dict[str, Any]) -> None:
        payload = message["payload"]
        route = payload.get("_route", {})
        queue_stats_hub().touch(route.get("queues", []))
        audience = await self.current_audience()
        if audience is not None and audience.sees_agent(route.get("agent")):
            await self.emit("agent_status", selectors.public(payload), at=message["at"])

    async def interaction_logged(self, message: dict[str, Any]) -> None:
        payload = message["payload"]
        queue_stats_hub().touch([payload.get("queue")])
        audience = await self.current_audience()
        if audience is None or "interaction" not in payload:
            return
        if audience.sees_queue(payload.get("queue")) or audience.sees_agent(payload.get("agent")):
            await self.emit("interaction_logged", {"interaction": _interaction_of(payload)}, at=message["at"])

    async def incoming(self, message: dict[str, Any]) -> None:
        # A caller waits in the queue: only the queue's figures change on the wallboard.
        queue_stats_hub().touch([message["payload"].get("queue")])
