"""Background jobs of the KPI app (see :mod:`contactcenter.core.jobs`)."""

from __future__ import annotations

from contactcenter.core.jobs import Every, job
from kpis.rollups import RollupBusyError, rollup_fill


@job(every=Every(minute=7))
def kpis_rollup() -> dict[str, int | str | None]:
    """Fill the KPI rollup up to yesterday (``manage.py kpis_rollup`` by hand, also to rebuild).

    Runs twice safely: it fills only the days missing, stale or whose FCR window has just closed,
    one day per transaction under that day's row lock; a second run right after does nothing. A
    fill that finds another one running (a long write) skips this hour: the next one catches up,
    as it does after a fill stopped by the job timeout (the days done stay done)."""
    try:
        result = rollup_fill()
    except RollupBusyError as error:
        return {"skipped": str(error)}
    return {
        "days": result.days_filled,
        "rows": result.rows_written,
        "first": result.first_day.isoformat() if result.first_day else None,
        "last": result.last_day.isoformat() if result.last_day else None,
    }
