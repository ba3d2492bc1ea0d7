"""Who gets in touch: an unknown caller, a customer coming back about an open issue (that is what
keeps FCR below 100 %), or a customer with a new issue, preferably one who has not been in touch
within the FCR window.
"""

from __future__ import annotations

import heapq
import random

from contactcenter.demo.simulator.common import DAY
from contactcenter.demo.simulator.people import Person
from contactcenter.demo.simulator.values import Channel
from contactcenter.demo.simulator.world import Episode

#: Share of contacts from someone the center cannot identify (a withheld number, a guest chat).
UNKNOWN_SHARE = {
    Channel.VOICE: 0.07,
    Channel.IVR: 0.15,
    Channel.CHAT: 0.12,
    Channel.EMAIL: 0.03,
    Channel.SMS: 0.05,
    Channel.SOCIAL: 0.08,
}


class Callers:
    """The customers who may get in touch on each channel, and those due back about an issue."""

    def __init__(self, rng: random.Random, people: list[Person], *, fcr_window: int) -> None:
        self.rng = rng
        self.window = fcr_window
        phone = [i for i, p in enumerate(people) if p.has_phone]
        everyone = list(range(len(people)))
        self.pools: dict[str, list[int]] = {
            Channel.VOICE: phone,
            Channel.IVR: phone,
            Channel.SMS: phone,
            Channel.EMAIL: [i for i, p in enumerate(people) if p.has_email],
            Channel.SOCIAL: [i for i, p in enumerate(people) if p.has_social],
            Channel.CHAT: everyone,
        }
        self.can = {channel: set(pool) for channel, pool in self.pools.items()}
        self.last = [-(10**12)] * len(people)
        self.pending: list[tuple[int, int, int, Episode]] = []
        self.waiting: set[int] = set()
        self.seq = 0

    def come_back(self, person: int, episode: Episode, due: int) -> None:
        """``person`` will get in touch again about ``episode`` from ``due`` on."""
        self.seq += 1
        heapq.heappush(self.pending, (due, self.seq, person, episode))
        self.waiting.add(person)

    def pick(self, t: int, channel: str) -> tuple[int | None, Episode | None]:
        """Who is on the line at ``t`` on ``channel`` and about what: ``(None, None)`` for an
        unknown caller, else the customer's index and their issue (a new one or an open one)."""
        if self.rng.random() < UNKNOWN_SHARE.get(channel, 0):
            return None, None
        returning = self._returning(t, channel)
        if returning is not None:
            person, episode = returning
            self.waiting.discard(person)
            self.last[person] = t
            episode.contacts += 1
            return person, episode
        pool = self.pools[channel]
        if not pool:
            return None, None
        person = pool[0]
        for _attempt in range(12):
            person = pool[self.rng.randrange(len(pool))]
            if person not in self.waiting and t - self.last[person] > self.window:
                break
        self.last[person] = t
        return person, Episode()

    def _returning(self, t: int, channel: str) -> tuple[int, Episode] | None:
        """A customer due back by ``t`` who can use ``channel``, if one of the first few is;
        those overdue by two days gave up."""
        skipped, found = [], None
        while self.pending and self.pending[0][0] <= t and len(skipped) < 5:
            item = heapq.heappop(self.pending)
            if t - item[0] > 2 * DAY:  # they gave up
                self.waiting.discard(item[2])
            elif item[2] in self.can[channel]:
                found = item
                break
            else:
                skipped.append(item)
        for item in skipped:
            heapq.heappush(self.pending, item)
        if found is None:
            return None
        _due, _seq, person, episode = found
        return person, episode
