"""Background jobs of the routing (see :mod:`contactcenter.core.jobs`)."""

from __future__ import annotations

from contactcenter.core.jobs import Every, job
from contactcenter.distribution.services import callbacks_make_due, offers_expire, routing_dispatch


@job(every=Every(minutes=1), retries=0)
def routing_timeouts() -> dict[str, int]:
    """Reclaim the offers past their time (the item waits again, the agent who let it time out goes
    on a ``missed`` break), then offer the waiting work of every queue. Each offer's own timeout job
    runs when it expires; this one is the net under it (a worker down, a job lost).

    Runs twice safely: an item is reclaimed under its row lock, once; the dispatcher skips items
    another one holds and never offers an item twice. Not retried: the next minute's run is."""
    expired = offers_expire()
    offers = routing_dispatch()
    return {"expired": len(expired), "offered": len(offers)}


@job(every=Every(minutes=1), retries=0)
def routing_callbacks() -> dict[str, int]:
    """Put every scheduled callback whose time (or its retry's) has come in its queue's line, as a
    ``callback`` work item. Each callback's own job runs at its due time; this one is the net under it.

    Runs twice safely: a scheduled callback is moved under its row lock, once per attempt. Not
    retried: the next minute's run is."""
    return {"enqueued": len(callbacks_make_due())}
