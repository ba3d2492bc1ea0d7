"""Units of time and the random draws every part of the simulation uses.

Times in the simulation are whole seconds since the epoch (UTC); :func:`moment` turns one into
an aware ``datetime``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

MINUTE, HOUR, DAY = 60, 3600, 86400

#: Called with how many items were just done (a progress bar's ``update``); the simulator knows
#: nothing of bars.
Advance = Callable[[int], object]


def no_progress(_done: int) -> None:
    """An :data:`Advance` that shows nothing."""


def moment(ts: int) -> datetime:
    """The aware UTC ``datetime`` of ``ts`` seconds since the epoch."""
    return datetime.fromtimestamp(ts, UTC)


def moment_or_none(ts: int | None) -> datetime | None:
    """:func:`moment`, or ``None`` for ``None`` (something that did not happen)."""
    return moment(ts) if ts is not None else None


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw of mean ``lam`` (a normal approximation above 50)."""
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def lognormal(rng: random.Random, median: float, sigma: float, low: int, high: int) -> int:
    """Whole seconds, log-normal around ``median``, kept within ``[low, high]``."""
    return int(min(high, max(low, rng.lognormvariate(math.log(median), sigma))))


def weighted(rng: random.Random, choices: Sequence[tuple[str, float]]) -> str:
    """One of ``(value, weight)`` pairs, drawn by weight."""
    return rng.choices([c for c, _w in choices], [w for _c, w in choices])[0]
