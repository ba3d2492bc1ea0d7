"""Background jobs of data protection (see :mod:`contactcenter.core.jobs`)."""

from __future__ import annotations

from datetime import time

from contactcenter.core.jobs import Every, job
from contactcenter.privacy.services import retention_apply as apply_periods


@job(every=Every(at=time(2, 47)))
def retention_apply() -> dict[str, int]:
    """Apply the retention periods set in the admin (``manage.py retention_apply`` by hand):
    rows scrubbed or deleted, by kind of data (the kinds kept for ever are left out).

    Runs twice safely: each kind picks only what still holds personal data, one batch per
    transaction, so a second run (or one after a run stopped midway) finds only what is left."""
    return {result.kind: result.rows for result in apply_periods() if result.days is not None}
