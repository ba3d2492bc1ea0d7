"""Background jobs of quality management (see :mod:`contactcenter.core.jobs`)."""

from __future__ import annotations

from datetime import time

from contactcenter.core.jobs import Every, job
from contactcenter.quality.sampling import sampling_run


@job(every=Every(at=time(5, 17), weekday=0))
def quality_sample() -> dict[str, int]:
    """Every Monday, sample last week for every active sampling rule (``manage.py quality_sample``
    by hand). Runs twice safely: a rule tops each agent up to its N, so a second run adds nothing."""
    results = sampling_run()
    return {"rules": len(results), "items": sum(result.items for result in results)}
