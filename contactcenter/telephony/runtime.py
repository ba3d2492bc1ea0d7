"""The bridge process (``manage.py cti_bridge <kind>``): one adapter to one phone system, kept up.

An adapter speaks its phone system's protocol (:class:`Adapter`); the :class:`BridgeRunner`
does the rest, the same for every phone system:

* **Connection.** It logs in, and when the link drops (or cannot be made) tries again after
  1, 2, 4… seconds up to ``backoff_max``, with some jitter so that several bridges restarted
  together do not knock in step; the delay starts over after a connection that held a minute.
* **Events.** The adapter turns the phone system's events into call events of the CTI intake
  (``docs/cti.md``: ``event``, ``call_id``, ``timestamp``, ``from``, ``to``, ``queue``, ``agent``),
  which are applied one after the other, in the order the phone system sent them, by the same
  service as ``POST /api/v1/cti/events/`` (:func:`interactions.cti.cti_event_apply`). An event
  the database could not take (it restarts, it is unreachable) is tried again, the later ones
  waiting behind it, so that nothing is lost and the order holds; the intake applies each
  ``(call, event)`` once, so an event applied twice (a bridge restarted halfway) changes nothing.
  An event the intake refuses (an unknown queue, an impossible order) is logged and dropped.
* **Presence.** While connected, it touches its :class:`~contactcenter.telephony.models.Bridge`
  row every ``HEARTBEAT_SECONDS``: the application offers click-to-dial, hold, transfer and the
  recording's pause only while a bridge that can do them is there.
* **Commands.** It takes the commands meant for it every ``poll_seconds`` and has the adapter
  carry them out, each with its own time limit, reporting what came of each. A pause or resume of
  the recording that succeeded is also applied as the call's ``call.recording_paused`` /
  ``call.recording_resumed`` event, timed now, so that the paused span is kept even when the
  phone system reports nothing of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Protocol

from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connections

from contactcenter.telephony import services
from contactcenter.telephony.models import Command, CommandAction
from interactions.api.cti_serializers import CtiEventSerializer
from interactions.cti import cti_event_apply
from interactions.models import CtiEventType

logger = logging.getLogger("contactcenter.telephony")


class BridgeError(Exception):
    """The phone system refused the bridge (bad login, protocol error): logged, then try again later."""


class CommandFailed(Exception):
    """The phone system refused or could not carry out a command; the message says why."""


class Adapter(Protocol):
    """One phone system's protocol, as the :class:`BridgeRunner` drives it."""

    #: The :class:`~contactcenter.telephony.models.BridgeKind` it is.
    kind: str
    #: The :class:`~contactcenter.telephony.models.Capability` values it can carry out.
    capabilities: frozenset[str]

    async def connect(self) -> str:
        """Open the link and log in; answer what it is connected to (shown to admins). Raises
        ``OSError`` or :class:`BridgeError` when it cannot."""
        ...

    def events(self) -> AsyncIterator[dict[str, Any]]:
        """The call events, as the CTI intake takes them, until the link drops (then it raises
        ``ConnectionError``/``OSError`` or simply ends)."""
        ...

    async def execute(self, command: Command) -> dict[str, Any]:
        """Carry out ``command``; answer what came of it (``call_id`` when it placed or acted on a
        call). Raises :class:`CommandFailed` when the phone system said no."""
        ...

    async def close(self) -> None:
        """Close the link (log off when it can)."""
        ...


#: How many calls placed by click-to-dial a bridge process remembers (to mark their events outbound).
DIALLED_KEPT = 1000
#: The call event a recording command that succeeded stands for (applied by the runner itself).
RECORDING_COMMAND_EVENTS: dict[str, str] = {
    CommandAction.RECORDING_PAUSE: CtiEventType.RECORDING_PAUSED,
    CommandAction.RECORDING_RESUME: CtiEventType.RECORDING_RESUMED,
}

#: Database errors that say "not now" (restart, network) rather than "never": tried again.
RETRYABLE = (OperationalError, InterfaceError)


def event_apply(data: dict[str, Any]) -> tuple[int, bool]:
    """Apply one call event, as ``POST /api/v1/cti/events/`` would: ``(interaction id, duplicate)``.

    Raises ``ValidationError`` when the intake refuses it (same messages as the API's 400)."""
    serializer = CtiEventSerializer(data=data)
    if not serializer.is_valid():
        raise ValidationError(serializer.errors)
    outcome = cti_event_apply(**serializer.service_arguments(), by=None)
    return outcome.interaction.pk, outcome.duplicate


def _database_reset() -> None:
    """After a database error: drop the broken connection so that the next try opens a new one."""
    for connection in connections.all(initialized_only=True):
        with contextlib.suppress(DatabaseError):
            connection.close()
    close_old_connections()


class BridgeRunner:
    """Runs one adapter until :meth:`stop`: see the module docstring."""

    def __init__(
        self,
        adapter: Adapter,
        *,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        poll_seconds: float = 0.5,
        heartbeat_seconds: float = services.HEARTBEAT_SECONDS,
        command_timeout: float = 10.0,
        stable_seconds: float = 60.0,
    ) -> None:
        self.adapter = adapter
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.poll_seconds = poll_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.command_timeout = command_timeout
        self.stable_seconds = stable_seconds
        self.stopping = asyncio.Event()
        self.connected = asyncio.Event()
        self.connections = 0
        self.applied = 0
        self.refused = 0
        self._pending: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        # The calls this process placed (click-to-dial), by call id: what their events are told.
        self._dialled: dict[str, dict[str, Any]] = {}
        self._applied_since_heartbeat = 0

    def stop(self) -> None:
        self.stopping.set()

    async def _db(self, function: Any, /, **kwargs: Any) -> Any:
        """Run ``function`` in the database thread, again and again while the database is away."""
        delay = self.backoff_initial
        while True:
            try:
                return await sync_to_async(function, thread_sensitive=True)(**kwargs)
            except RETRYABLE as error:
                logger.warning(
                    "telephony %s: database unavailable (%s); trying again in %.0f s", self.adapter.kind, error, delay
                )
                await sync_to_async(_database_reset, thread_sensitive=True)()
                if await self._sleep(delay):
                    raise
                delay = min(delay * 2, self.backoff_max)

    async def _sleep(self, seconds: float) -> bool:
        """Sleep, waking early on stop; answers whether the runner is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), timeout=seconds)
        return self.stopping.is_set()

    async def run(self) -> None:
        """Connect, serve, reconnect with backoff, until :meth:`stop`."""
        applier = asyncio.create_task(self._apply_events())
        delay = self.backoff_initial
        try:
            while not self.stopping.is_set():
                started = time.monotonic()
                error = await self._session()
                if self.stopping.is_set():
                    break
                if time.monotonic() - started >= self.stable_seconds:
                    delay = self.backoff_initial
                wait = delay * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not secrets)
                logger.warning("telephony %s: %s; connecting again in %.1f s", self.adapter.kind, error, wait)
                if await self._sleep(wait):
                    break
                delay = min(delay * 2, self.backoff_max)
        finally:
            await self._drain(applier)

    async def _session(self) -> str:
        """One connection, from login to loss; answers why it ended."""
        try:
            peer = await self.adapter.connect()
        except (OSError, BridgeError, TimeoutError) as error:
            await self._db(services.bridge_disconnected, kind=self.adapter.kind, error=str(error))
            return f"cannot connect ({error})"
        self.connections += 1
        logger.info("telephony %s: connected to %s", self.adapter.kind, peer)
        await self._db(
            services.bridge_connected, kind=self.adapter.kind, capabilities=sorted(self.adapter.capabilities), peer=peer
        )
        self.connected.set()
        tasks = [
            asyncio.create_task(self._receive(), name="receive"),
            asyncio.create_task(self._heartbeat(), name="heartbeat"),
            asyncio.create_task(self._commands(), name="commands"),
            asyncio.create_task(self.stopping.wait(), name="stop"),
        ]
        reason = "connection closed"
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.get_name() == "stop":
                    reason = "stopped"
                elif task.exception() is not None:
                    reason = f"connection lost ({task.exception()})"
        finally:
            self.connected.clear()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(OSError, BridgeError):
                await self.adapter.close()
            await self._db(
                services.bridge_disconnected, kind=self.adapter.kind, error="" if reason == "stopped" else reason
            )
        return reason

    async def _receive(self) -> None:
        async for event in self.adapter.events():
            self._pending.put_nowait(self._completed(event))

    def _completed(self, event: dict[str, Any]) -> dict[str, Any]:
        """A call this bridge placed for a click-to-dial is outbound, for the customer and queue the
        agent dialled from: its events say so unless the adapter said otherwise."""
        dialled = self._dialled.get(str(event.get("call_id", "")))
        if dialled is None:
            return event
        return {**dialled, **event}

    async def _apply_events(self) -> None:
        """Apply the events in order; a database error holds the queue until the database is back."""
        while True:
            event = await self._pending.get()
            try:
                await self._db(self._apply_one, event=event)
            finally:
                self._pending.task_done()

    def _apply_one(self, event: dict[str, Any]) -> None:
        try:
            interaction, duplicate = event_apply(event)
        except ValidationError as error:
            self.refused += 1
            logger.warning(
                "telephony %s: call event refused by the intake: %s %s: %s",
                self.adapter.kind,
                event.get("event"),
                event.get("call_id"),
                error.message_dict if hasattr(error, "error_dict") else error.messages,
            )
            return
        self.applied += 1
        self._applied_since_heartbeat += 0 if duplicate else 1
        logger.debug(
            "telephony %s: %s %s → interaction %s",
            self.adapter.kind,
            event.get("event"),
            event.get("call_id"),
            interaction,
        )

    async def _drain(self, applier: asyncio.Task) -> None:
        """On stop: the events already received are applied (unless the database is away), then stop."""
        try:
            await asyncio.wait_for(self._pending.join(), timeout=10)
        except TimeoutError:
            logger.warning("telephony %s: %d call events not applied at stop", self.adapter.kind, self._pending.qsize())
        applier.cancel()
        await asyncio.gather(applier, return_exceptions=True)

    async def idle(self) -> None:
        """Wait until every event received so far is applied (for tests and a clean stop)."""
        await self._pending.join()

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            applied, self._applied_since_heartbeat = self._applied_since_heartbeat, 0
            await self._db(services.bridge_alive, kind=self.adapter.kind, events_applied=applied)

    async def _commands(self) -> None:
        running: set[asyncio.Task] = set()
        while True:
            for command in await self._db(services.commands_take, kind=self.adapter.kind):
                task = asyncio.create_task(self._execute(command))
                running.add(task)
                task.add_done_callback(running.discard)
            await asyncio.sleep(self.poll_seconds)

    async def _execute(self, command: Command) -> None:
        try:
            result = await asyncio.wait_for(self.adapter.execute(command), timeout=self.command_timeout)
        except CommandFailed as error:
            await self._db(services.command_finish, command_id=command.pk, ok=False, error=str(error))
        except TimeoutError:
            await self._db(
                services.command_finish,
                command_id=command.pk,
                ok=False,
                error="the phone system did not answer in time",
            )
        else:
            call_id = str(result.get("call_id", ""))
            if command.action == CommandAction.DIAL and call_id:
                self._dialled[call_id] = {"direction": "outbound"} | {
                    key: command.arguments[key] for key in ("customer", "queue") if command.arguments.get(key)
                }
                while len(self._dialled) > DIALLED_KEPT:  # the oldest calls are long over
                    del self._dialled[next(iter(self._dialled))]
            await self._db(
                services.command_finish,
                command_id=command.pk,
                ok=True,
                result=result,
                call_id=call_id,
            )
            event = RECORDING_COMMAND_EVENTS.get(command.action)
            call_id = command.call_id or str(result.get("call_id", ""))
            if event is not None and call_id:
                # The pause is kept even when the phone system reports nothing of it (a PCI pause
                # must show on the recording); a report of its own, later, is another pause of the
                # same span, read as one (interactions.cti pairs them).
                when = datetime.now(UTC).isoformat()
                await self._db(self._apply_one, event={"event": event, "call_id": call_id, "timestamp": when})
