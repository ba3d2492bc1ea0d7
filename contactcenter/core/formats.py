"""How times and durations are shown to people, the same on the desk, the wallboard and the admin."""

from __future__ import annotations

import math


def format_duration(seconds: float | None) -> str:
    """``m:ss`` under an hour, ``h:mm:ss`` from an hour on; ``—`` for none (a negative one is 0:00)."""
    if seconds is None:
        return "—"
    total = max(math.floor(seconds), 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
