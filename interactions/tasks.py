"""Background jobs of the interactions app (see :mod:`contactcenter.core.jobs`)."""

from __future__ import annotations

from datetime import time

from django.utils import timezone

from contactcenter.core.jobs import Every, job
from interactions import partitions
from interactions.sentiment import sentiment_backfill as backfill
from interactions.services import interactions_wrapup_limit, tickets_escalate_overdue


@job(every=Every(minutes=1))
def escalate_overdue() -> dict[str, int]:
    """Escalate the tickets past an SLA due time (``manage.py escalate_overdue`` by hand).

    Runs twice safely: each breach is recorded once, under the ticket's row lock, so a second run
    (or one running beside it) finds nothing left to escalate."""
    escalations = tickets_escalate_overdue()
    return {"tickets": len({item.ticket_id for item in escalations}), "breaches": len(escalations)}


@job(every=Every(minutes=1))
def wrapup_limit() -> dict[str, int]:
    """End the after-contact work that outlasted its queue's wrap-up limit: ``wrapup_ended_at`` =
    end + limit, and the agent moves on (docs/agent-states.md).

    Runs twice safely: each contact is ended under its row lock, once; an ended wrap-up is not
    looked at again."""
    return {"ended": len(interactions_wrapup_limit())}


@job(every=Every(at=time(4, 7)))
def sentiment_backfill() -> dict[str, int]:
    """Score the interactions stored with notes but no sentiment (imports; ``manage.py
    sentiment_backfill`` by hand, also for re-scoring).

    Runs twice safely: it picks only interactions without a score, one batch per transaction."""
    result = backfill()
    return {"scanned": result.scanned, "scored": result.updated}


@job(every=Every(at=time(1, 27)))
def partitions_ahead() -> dict[str, object]:
    """Create the monthly partitions of the interactions and CTI events for the current month and
    the ``PARTITION_MONTHS_AHEAD`` next ones, when ``INTERACTIONS_PARTITIONED`` is on (on
    PostgreSQL; nothing to do otherwise).

    Runs twice safely: a month that has its partition is left alone."""
    if not partitions.available():
        return {"skipped": "INTERACTIONS_PARTITIONED is off, or the database is not PostgreSQL"}
    done = partitions.partitions_ensure(now=timezone.now())
    return {
        "created": [name for item in done.values() for name in item.created],
        "moved": sum(item.moved for item in done.values()),
    }
