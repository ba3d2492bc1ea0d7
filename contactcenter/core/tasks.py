"""Background jobs of the foundation (see :mod:`contactcenter.core.jobs`)."""

from __future__ import annotations

from datetime import time, timedelta

from django.conf import settings
from django.utils import timezone
from django_q.models import Failure

from contactcenter.core.api.idempotency import idempotency_keys_purge
from contactcenter.core.jobs import Every, job
from contactcenter.core.tokens import api_tokens_purge_expired


@job(every=Every(at=time(3, 17)))
def purge_idempotency_keys() -> dict[str, int]:
    """Delete the ``Idempotency-Key`` answers older than 7 days (``manage.py
    purge_idempotency_keys`` by hand).

    Runs twice safely: deleting what is already gone deletes nothing."""
    return {"deleted": idempotency_keys_purge()}


@job(every=Every(at=time(3, 37)))
def purge_failed_jobs() -> dict[str, int]:
    """Forget the failed job runs (dead letters included) older than ``BACKGROUND_FAILURES_DAYS``
    (30 days by default); the successful ones are capped at the last 1,000 by the queue itself.

    Runs twice safely: deleting what is already gone deletes nothing."""
    cutoff = timezone.now() - timedelta(days=settings.BACKGROUND_FAILURES_DAYS)
    deleted, _by_model = Failure.objects.filter(stopped__lt=cutoff).delete()
    return {"deleted": deleted}


@job(every=Every(at=time(3, 47)))
def purge_expired_tokens() -> dict[str, int]:
    """Delete the API tokens past their expiry (they authenticate nothing already).

    Runs twice safely: deleting what is already gone deletes nothing."""
    return {"deleted": api_tokens_purge_expired()}
