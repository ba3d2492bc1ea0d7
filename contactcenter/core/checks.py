"""System checks run by ``manage.py check --deploy``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.caches, deploy=True)
def shared_cache_check(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Without ``REDIS_URL`` every server process keeps its own cache and channel layer: live events,
    request rates and the sessions' cached copies then stay inside the process that made them, which
    is only right for a single process."""
    if settings.REDIS_URL:
        return []
    return [
        Warning(
            "REDIS_URL is not set: live events, request rate limits and cached sessions stay inside each "
            "server process.",
            hint="Set REDIS_URL in production, or run a single server process.",
            id="switchboard.W001",
        )
    ]
