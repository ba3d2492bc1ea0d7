"""Background jobs of the agents app (see :mod:`contactcenter.core.jobs`)."""

from __future__ import annotations

from contactcenter.agents.presence import presence_sweep as sweep
from contactcenter.core.jobs import Every, job


@job(every=Every(minutes=1), retries=0)
def presence_sweep() -> dict[str, int]:
    """Set offline the agents whose desktop has been gone longer than the presence grace
    (``manage.py presence_sweep`` by hand).

    Runs twice safely: an agent already offline is not looked at again; each change is its own
    transaction. Not retried: the next minute's run is the retry."""
    result = sweep()
    return {"checked": result.checked, "offline": len(result.set_offline), "started": result.started}
