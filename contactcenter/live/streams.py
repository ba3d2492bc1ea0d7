"""What a socket received of each numbered group (``stream``), and what it missed.

The layers (:mod:`contactcenter.live.layers`) number every group's messages on the publishing side.
A socket remembers, per group it is in, the last number it saw; a message that skips numbers
leaves holes. The layers deliver a group's messages in the order of their numbers, but a hole is
still given :data:`HOLE_GRACE_SECONDS` to fill before it counts as lost (a message overtaken on the
way is not a loss, whatever the layer). A message numbered at or below the counter read when the
socket joined was published before it joined: it counts for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: How long a missing number may still arrive (out of order) before it counts as lost.
HOLE_GRACE_SECONDS = 1.0
#: A jump longer than this is a loss at once (no use waiting for that many stragglers).
MAX_HOLES = 100


@dataclass
class Stream:
    #: The highest number seen (or the counter when the socket joined); ``None``: not known yet,
    #: the next message sets it.
    last: int | None
    #: Numbers at or below this were taken before the socket joined.
    floor: int = 0
    #: Missing number → when it counts as lost (a ``time.monotonic()`` value).
    holes: dict[int, float] = field(default_factory=dict)


class StreamWatch:
    """The groups of one socket and their numbers. ``seen()`` and ``overdue()`` answer how many
    messages are known to be lost (0: none)."""

    def __init__(self, grace: float = HOLE_GRACE_SECONDS) -> None:
        self.grace = grace
        self.streams: dict[str, Stream] = {}

    def joined(self, group: str, counter: int | None) -> None:
        """The socket is in ``group`` from now; ``counter``: the group's number then (``None``:
        it could not be read, the next message sets it)."""
        self.streams[group] = Stream(last=counter, floor=counter or 0)

    def left(self, group: str) -> None:
        self.streams.pop(group, None)

    def seen(self, group: str, seq: int, now: float) -> int:
        """A message numbered ``seq`` of ``group`` arrived at ``now``."""
        stream = self.streams.get(group)
        if stream is None:
            return 0
        if stream.last is None or seq == stream.last + 1:
            stream.last = seq
            return 0
        if seq > stream.last:
            missing = seq - stream.last - 1
            stream.last = seq
            if missing > MAX_HOLES:
                return missing
            for number in range(seq - missing, seq):
                stream.holes[number] = now + self.grace
            return 0
        if stream.holes.pop(seq, None) is not None or seq <= stream.floor:
            return 0  # a straggler, or published before the socket joined
        # A number already passed: the counter started again (its Redis was emptied) or a message
        # came after its hole was given up. Count from here.
        stream.last, stream.floor, stream.holes = seq, 0, {}
        return 1

    def overdue(self, now: float) -> int:
        """Forget the holes whose grace is over, and answer how many there were."""
        lost = 0
        for stream in self.streams.values():
            late = [number for number, deadline in stream.holes.items() if deadline <= now]
            for number in late:
                del stream.holes[number]
            lost += len(late)
        return lost

    def next_deadline(self) -> float | None:
        """When the first open hole counts as lost, ``None`` when there is none."""
        if not any(stream.holes for stream in self.streams.values()):
            return None
        deadlines = [deadline for stream in self.streams.values() for deadline in stream.holes.values()]
        return min(deadlines, default=None)
