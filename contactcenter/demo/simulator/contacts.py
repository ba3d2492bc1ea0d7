"""Routing and outcomes: each arrival goes first come, first served to the eligible agent who is
free first (or is abandoned when the wait exceeds the caller's patience); talk, hold and wrap-up
times by channel; dispositions, sentiment and notes; the tickets opened and the customers who
come back. :func:`simulate` runs a whole period and returns the :class:`World`.
"""

from __future__ import annotations

import random
from zoneinfo import ZoneInfo

from contactcenter.demo.simulator.callers import Callers
from contactcenter.demo.simulator.center import AGENTS, BACK, BILLING, CHAT, FRONT, PREMIUM, QUEUES, SALES, SUPPORT
from contactcenter.demo.simulator.common import DAY, HOUR, MINUTE, Advance, lognormal, no_progress, weighted
from contactcenter.demo.simulator.people import Person
from contactcenter.demo.simulator.shifts import next_start, plan_shifts
from contactcenter.demo.simulator.texts import CATEGORY_BY_QUEUE, NOTES
from contactcenter.demo.simulator.traffic import Stream, arrivals
from contactcenter.demo.simulator.values import Channel, Direction, Priority
from contactcenter.demo.simulator.world import Agent, Contact, Episode, TicketPlan, Work, World

#: Seconds an agent of a team is "less preferred" for a queue: premium agents take support calls,
#: the front office sales calls and the back office billing calls only when the usual team is
#: that much busier.
PENALTY = {(PREMIUM, SUPPORT): 20, (PREMIUM, CHAT): 10, (FRONT, SALES): 40, (BACK, BILLING): 45}
#: Median talk time of a voice call by queue, seconds (log-normal around it).
TALK_MEDIAN = {SUPPORT: 300, BILLING: 240, SALES: 330}

RESOLVING = {
    SALES: (("sale", 45), ("information-given", 40), ("resolved", 15)),
    SUPPORT: (("resolved", 60), ("information-given", 40)),
    BILLING: (("resolved", 55), ("information-given", 45)),
}
RESOLVING_DEFAULT = (("resolved", 50), ("information-given", 50))
NOT_RESOLVING = (("ticket-opened", 25), ("escalated", 7), ("complaint", 6), ("callback", 32), ("transferred", 30))
OPENS_TICKET = frozenset({"ticket-opened", "escalated", "complaint"})
OUTBOUND_CONNECTED = (("sale", 30), ("information-given", 35), ("callback", 20), ("resolved", 15))


def simulate(
    rng: random.Random,
    *,
    people: list[Person],
    start: int,
    end: int,
    tz: ZoneInfo,
    fcr_window: int,
    resolving: frozenset[str],
) -> World:
    """Run the center over ``[start, end)``: arrivals, routing, outcomes, repeats, tickets (see
    :class:`Simulation`)."""
    return Simulation(rng, people=people, start=start, end=end, tz=tz, fcr_window=fcr_window, resolving=resolving).run()


class Simulation:
    """The center over ``[start, end)``: the agents' shifts and every arrival are drawn when it is
    made (``arrivals`` says how many), :meth:`run` routes them and decides their outcomes.

    ``tz`` is the center's time zone (shifts and hourly curves are local), ``fcr_window`` the
    first-contact-resolution window in seconds (a new issue goes preferably to a customer not
    seen within it), ``resolving`` the disposition codes that resolve a contact.
    """

    def __init__(
        self,
        rng: random.Random,
        *,
        people: list[Person],
        start: int,
        end: int,
        tz: ZoneInfo,
        fcr_window: int,
        resolving: frozenset[str],
    ) -> None:
        self.rng, self.end, self.resolving = rng, end, resolving
        agents = [Agent(i, spec.username, spec.team or "", frozenset(spec.queues)) for i, spec in enumerate(AGENTS)]
        plan_shifts(rng, agents, start, end, tz)
        self.arrivals = arrivals(rng, start, end, tz)
        self.pools = {
            q.name: [(a, PENALTY.get((a.team, q.name), 0)) for a in agents if q.name in a.queues] for q in QUEUES
        }
        self.callers = Callers(rng, people, fcr_window=fcr_window)
        self.back_office = [a for a in agents if a.team == BACK]
        self.world = World(agents=agents, contacts=[], tickets=[])

    def run(self, advance: Advance = no_progress) -> World:
        """Route every arrival in time order, close the shifts, and return the world."""
        for t, _order, stream in self.arrivals:
            self.arrive(t, stream)
            advance(1)
        for agent in self.world.agents:
            next_start(agent, self.end)  # take the breaks and close the shifts that are over by now
        self.world.contacts.sort(key=lambda c: c.offered)
        return self.world

    def arrive(self, t: int, stream: Stream) -> None:
        """A contact of ``stream`` at ``t``."""
        if stream.direction == Direction.OUTBOUND:
            self._outbound(t, stream)
        elif stream.channel == Channel.IVR:
            self._ivr(t)
        else:
            self._inbound(t, stream)

    def _best(self, t: int, queue: str) -> tuple[Agent | None, int | None]:
        """The agent who can take a contact of ``queue`` first and when; among agents free at
        once, the one idle the longest (as an ACD routes), so that the work is shared."""
        best: tuple[int, int, int, Agent, int] | None = None
        for agent, penalty in self.pools[queue]:
            s = next_start(agent, t)
            if s is None:
                continue
            key = (s + penalty, agent.free_at, agent.index)
            if best is None or key < best[:3]:
                best = (*key, agent, s)
        return (best[3], best[4]) if best else (None, None)

    def _assign(self, agent: Agent, contact: Contact, busy_from: int) -> None:
        assert contact.ended is not None
        wrap_to = contact.wrapup or contact.ended
        agent.shifts[agent.pos].work.append(Work(busy_from, contact.ended, wrap_to))
        agent.free_at = wrap_to
        contact.agent = agent

    def _inbound(self, t: int, stream: Stream) -> None:
        queue, channel = stream.queue or "", stream.channel
        person, episode = self.callers.pick(t, channel)
        contact = Contact(channel, Direction.INBOUND, queue, t, person)
        agent, start = self._best(t, queue)
        realtime = channel in (Channel.VOICE, Channel.CHAT)
        answered = self._answer(contact, episode, start) if realtime else start
        if realtime and answered is None:
            return  # the caller hung up first (recorded by _answer when over by now)
        assert agent is not None or not realtime
        length, wrap = self._handling(contact)
        if agent is None or answered is None or answered + length + wrap > self.end:
            if not realtime:
                self.world.contacts.append(contact)  # a written message nobody has picked up yet
            return  # a call or chat in conversation now: not part of the demo
        contact.answered, contact.ended = answered, answered + length
        contact.wrapup = contact.ended + wrap if wrap else None
        self._assign(agent, contact, answered)
        self._conclude(contact, episode)
        self.world.contacts.append(contact)

    def _answer(self, contact: Contact, episode: Episode | None, start: int | None) -> int | None:
        """When a call or chat is answered, the agent being free from ``start``; ``None`` when the
        customer hangs up first: the abandon is recorded when it is over by now, and the customer
        may try again."""
        rng, t = self.rng, contact.offered
        patience = self._patience(contact.channel)
        ring = rng.randint(2, 7) if contact.channel == Channel.VOICE else rng.randint(3, 12)
        answered = start + ring if start is not None else None
        if answered is not None and answered - t <= patience:
            return answered
        contact.ended = t + patience
        if contact.ended > self.end:
            return None  # still waiting now: not part of the demo
        self.world.contacts.append(contact)
        if contact.person is not None and episode is not None and rng.random() < 0.55:
            self.callers.come_back(contact.person, episode, contact.ended + rng.randint(MINUTE, 30 * MINUTE))
        return None

    def _handling(self, contact: Contact) -> tuple[int, int]:
        """Seconds in conversation (hold included, set on ``contact``) and in wrap-up, by channel."""
        rng, channel = self.rng, contact.channel
        if channel == Channel.VOICE:
            talk = lognormal(rng, TALK_MEDIAN[contact.queue or ""], 0.55, 20, 3600)
            contact.hold = int(talk * rng.uniform(0.05, 0.35)) if rng.random() < 0.25 else 0
            return talk + contact.hold, rng.randint(30, 120)
        if channel == Channel.CHAT:
            return lognormal(rng, 540, 0.5, 60, 3600), rng.randint(15, 60)
        if channel == Channel.EMAIL:
            return lognormal(rng, 420, 0.5, 60, 2400), rng.randint(10, 45) if rng.random() < 0.7 else 0
        if channel == Channel.SMS:
            return lognormal(rng, 120, 0.5, 20, 900), rng.randint(5, 30) if rng.random() < 0.5 else 0
        return lognormal(rng, 200, 0.5, 30, 1200), rng.randint(5, 40) if rng.random() < 0.6 else 0

    def _patience(self, channel: str) -> int:
        """Seconds a caller waits before hanging up: a few hang up at once (short abandons)."""
        rng = self.rng
        if rng.random() < (0.035 if channel == Channel.VOICE else 0.02):
            return rng.randint(1, 4)
        # Hardly anyone gives up in the first seconds of the queue message; then it is a matter
        # of temper (exponential).
        least, mean = (20, 180) if channel == Channel.VOICE else (30, 240)
        return least + int(rng.expovariate(1 / mean))

    def _conclude(self, contact: Contact, episode: Episode | None) -> None:
        """Disposition, resolution, sentiment and notes of a handled inbound contact; what
        follows: a ticket, the customer coming back."""
        rng = self.rng
        if contact.channel == Channel.VOICE and rng.random() < 0.01:
            contact.disposition = "wrong-number"
        elif rng.random() < _unresolved_share(contact, episode):
            self._unresolved(contact, episode)
        else:
            self._resolved(contact, episode)
        if episode is not None:
            contact.ticket = episode.ticket
        contact.script = contact.channel == Channel.VOICE and rng.random() < 0.85
        self._flavour(contact)

    def _unresolved(self, contact: Contact, episode: Episode | None) -> None:
        """Not resolved: maybe a ticket for the issue, and most customers come back about it."""
        rng, person = self.rng, contact.person
        disposition = weighted(rng, NOT_RESOLVING)
        if disposition in OPENS_TICKET and person is None:
            disposition = "transferred"  # no customer to open a ticket for
        contact.disposition = disposition
        if episode is None or person is None:
            return
        if episode.ticket is None and disposition in OPENS_TICKET:
            episode.ticket = self._open_ticket(contact, person, disposition)
        if rng.random() < 0.85:
            self.callers.come_back(person, episode, (contact.wrapup or contact.ended or 0) + self._delay())

    def _resolved(self, contact: Contact, episode: Episode | None) -> None:
        """Resolved: the issue's ticket, if any, is solved by it; a few customers have a new
        question within days."""
        rng, person = self.rng, contact.person
        contact.disposition = weighted(rng, RESOLVING.get(contact.queue or "", RESOLVING_DEFAULT))
        if episode is not None and episode.ticket is not None and episode.ticket.resolved_by_contact is None:
            episode.ticket.resolved_by_contact = contact.ended
        if person is not None and rng.random() < 0.04:  # a new question within days
            self.callers.come_back(person, Episode(), (contact.wrapup or contact.ended or 0) + self._delay())

    def _delay(self) -> int:
        """When a customer with an open issue gets back in touch: same day, within days, or later."""
        rng, r = self.rng, self.rng.random()
        if r < 0.35:
            return rng.randint(10 * MINUTE, 4 * HOUR)
        if r < 0.8:
            return rng.randint(DAY, 3 * DAY)
        return rng.randint(3 * DAY, 7 * DAY)

    def _flavour(self, contact: Contact) -> None:
        """Sentiment on about two thirds of conversations (leaning on the outcome) and a note on
        about a third."""
        rng = self.rng
        resolves = contact.disposition in self.resolving
        if contact.channel != Channel.IVR and rng.random() < 0.65:
            base = -0.55 if contact.disposition == "complaint" else 0.35 if resolves else -0.15
            contact.sentiment = round(max(-1.0, min(1.0, rng.gauss(base, 0.3))), 3)
        if contact.disposition and rng.random() < 0.35:
            contact.notes = rng.choice(NOTES.get(contact.disposition, ("",)))

    def _open_ticket(self, contact: Contact, person: int, disposition: str) -> TicketPlan:
        """A ticket for ``person``'s issue: an escalation goes to the back office, urgently more
        often than not; a complaint is in its own category."""
        rng = self.rng
        if disposition == "escalated":
            priority = weighted(rng, ((Priority.URGENT, 20), (Priority.HIGH, 50), (Priority.NORMAL, 30)))
            agent = rng.choice(self.back_office) if self.back_office else contact.agent
        else:
            agent = contact.agent
            if disposition == "complaint":
                priority = weighted(rng, ((Priority.HIGH, 40), (Priority.NORMAL, 60)))
            else:
                priority = weighted(
                    rng, ((Priority.LOW, 20), (Priority.NORMAL, 65), (Priority.HIGH, 12), (Priority.URGENT, 3))
                )
        category = "Complaint" if disposition == "complaint" else weighted(rng, CATEGORY_BY_QUEUE[contact.queue or ""])
        plan = TicketPlan(
            created=min((contact.ended or contact.offered) + rng.randint(5, 60), self.end),
            person=person,
            agent=agent,
            queue=contact.queue,
            disposition=disposition,
            priority=priority,
            category=category,
        )
        self.world.tickets.append(plan)
        return plan

    def _outbound(self, t: int, stream: Stream) -> None:
        """A campaign call, dialled only when a sales agent is idle: inbound calls come first."""
        rng = self.rng
        agent, start = self._best(t, stream.queue or SALES)
        if agent is None or start is None or start - t > MINUTE or agent.team != PREMIUM:
            return
        pool = self.callers.pools[Channel.VOICE]
        person = pool[rng.randrange(len(pool))] if pool else None
        contact = Contact(Channel.VOICE, Direction.OUTBOUND, stream.queue, start, person)
        outcome = rng.random()
        if outcome < 0.6:
            contact.answered = start + rng.randint(6, 25)
            contact.ended = contact.answered + lognormal(rng, 150, 0.6, 15, 1800)
            contact.disposition = weighted(rng, OUTBOUND_CONNECTED)
        elif outcome < 0.82:
            contact.ended = start + rng.randint(25, 40)
            contact.disposition = "no-answer"
        else:
            contact.answered = start + rng.randint(20, 30)
            contact.ended = contact.answered + rng.randint(15, 40)
            contact.disposition = "voicemail"
        contact.wrapup = contact.ended + rng.randint(10, 60)
        if contact.wrapup > self.end:
            return
        self._assign(agent, contact, start)
        if contact.disposition not in ("no-answer", "voicemail"):
            self._flavour(contact)
        self.world.contacts.append(contact)

    def _ivr(self, t: int) -> None:
        """Self-service: no agent; when it does not help, the caller tries again soon."""
        rng = self.rng
        person, episode = self.callers.pick(t, Channel.IVR)
        contact = Contact(Channel.IVR, Direction.INBOUND, None, t, person)
        contact.answered = t + 1
        contact.ended = contact.answered + lognormal(rng, 100, 0.5, 15, 900)
        if contact.ended > self.end:
            return
        if rng.random() < 0.7:
            contact.disposition = "information-given"
        elif person is not None and episode is not None and rng.random() < 0.7:
            self.callers.come_back(person, episode, contact.ended + rng.randint(10, 5 * MINUTE))
        self.world.contacts.append(contact)


def _unresolved_share(contact: Contact, episode: Episode | None) -> float:
    """The chance that a handled contact leaves the issue open: higher on a second contact about
    it, lower after that (what is left is hard), lower for sales."""
    contacts = episode.contacts if episode else 1
    share = 0.2 if contacts == 1 else 0.3 if contacts == 2 else 0.12
    return share * 0.6 if contact.queue == SALES else share


def recorded(contact: Contact, people: list[Person]) -> bool:
    """Whether the conversation was recorded: answered voice calls handled by an agent, unless the
    customer refused recording."""
    if contact.channel != Channel.VOICE or contact.answered is None or contact.agent is None:
        return False
    return contact.person is None or people[contact.person].customer.consent_recording
