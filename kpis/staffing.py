"""Erlang C staffing (SPEC §4, Staffing).

For an interval with forecast volume λ (calls), average handle time AHT and a service-level goal
(X % answered within T seconds), the required agents are the smallest N above the traffic
intensity A = λ·AHT/interval whose Erlang C service level ``1 − P_wait(N, A)·exp(−(N − A)·T/AHT)``
reaches X; scheduled agents = ceil(N ÷ (1 − shrinkage)); no calls need no agents.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Beyond this traffic (in Erlangs) a single queue is not a realistic question; it also bounds the
#: work of one request.
MAX_ERLANGS = 10_000


@dataclass(frozen=True)
class Staffing:
    agents: int
    scheduled: int
    service_level: float | None
    occupancy: float | None
    traffic: float


def erlang_c_service_level(agents: int, traffic: float, threshold: float, aht: float, erlang_b: float) -> float:
    """Service level with ``agents`` for ``traffic`` Erlangs, given Erlang B at that size."""
    p_wait = agents * erlang_b / (agents - traffic * (1 - erlang_b))
    return 1 - p_wait * math.exp(-(agents - traffic) * threshold / aht)


def required_agents(
    *, calls: float, interval: float, aht: float, target: float, threshold: float, shrinkage: float = 0.0
) -> Staffing:
    """The Erlang C staffing of one interval (arguments as in SPEC §4; seconds, shares in [0, 1)).

    Erlang B is built by its recurrence B(n) = A·B(n−1) / (n + A·B(n−1)), which stays exact where
    the factorial formula overflows; N grows from the first integer above A until the service
    level reaches ``target``. Validation of the arguments is the caller's (the API's) job.
    """
    traffic = calls * aht / interval
    if calls == 0:
        return Staffing(agents=0, scheduled=0, service_level=None, occupancy=None, traffic=0.0)
    erlang_b, agents = 1.0, 0
    while True:
        agents += 1
        erlang_b = traffic * erlang_b / (agents + traffic * erlang_b)
        if agents <= traffic:
            continue
        level = erlang_c_service_level(agents, traffic, threshold, aht, erlang_b)
        if level >= target:
            scheduled = math.ceil(agents / (1 - shrinkage) - 1e-9)
            return Staffing(
                agents=agents, scheduled=scheduled, service_level=level, occupancy=traffic / agents, traffic=traffic
            )
