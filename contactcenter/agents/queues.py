"""The queues by name, kept in the cache (:mod:`contactcenter.core.cached`): the CTI intake, the
interactions and the tickets name their queue on every write, and the queues rarely change."""

from __future__ import annotations

from contactcenter.agents.models import Queue
from contactcenter.core.cached import cached_forget, cached_read

#: The cache group of the queues.
QUEUES = "queues"


def queues_by_name() -> dict[str, Queue]:
    """Every queue (active or not) by its name: no query while none has changed
    (:func:`queues_changed`)."""
    return cached_read(QUEUES, "by-name", lambda: {queue.name: queue for queue in Queue.objects.all()})


def queue_named(name: str) -> Queue | None:
    """The queue of this name, ``None`` without one (no query while none has changed)."""
    return queues_by_name().get(name)


def queues_changed(**kwargs: object) -> None:
    """Receiver of the queues' ``post_save``/``post_delete``: every process reads them again."""
    cached_forget(QUEUES)
