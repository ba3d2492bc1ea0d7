"""What a socket makes of each group's numbers: a hole that stays open is a loss, a straggler is
not, a number taken before the socket joined is not, a counter that starts again is."""

from __future__ import annotations

from contactcenter.live.streams import MAX_HOLES, StreamWatch


def test_numbers_in_order_lose_nothing():
    watch = StreamWatch(grace=1.0)
    watch.joined("wallboard", 7)
    assert [watch.seen("wallboard", n, now=0.0) for n in (8, 9, 10)] == [0, 0, 0]
    assert watch.next_deadline() is None


def test_a_hole_filled_within_the_grace_is_no_loss():
    # Two processes publish: one took 8, the other 9, and 9 arrived first.
    watch = StreamWatch(grace=1.0)
    watch.joined("wallboard", 7)
    assert watch.seen("wallboard", 9, now=0.0) == 0
    assert watch.next_deadline() == 1.0
    assert watch.seen("wallboard", 8, now=0.5) == 0
    assert watch.overdue(now=2.0) == 0 and watch.next_deadline() is None


def test_a_hole_still_open_after_the_grace_is_a_loss_counted_once():
    watch = StreamWatch(grace=1.0)
    watch.joined("agent.3", 0)
    watch.seen("agent.3", 1, now=0.0)
    assert watch.seen("agent.3", 4, now=0.2) == 0  # 2 and 3 missing
    assert watch.overdue(now=1.0) == 0
    assert watch.overdue(now=1.2) == 2
    assert watch.overdue(now=5.0) == 0
    assert watch.seen("agent.3", 5, now=5.0) == 0


def test_a_long_jump_is_a_loss_at_once():
    watch = StreamWatch()
    watch.joined("wallboard", 0)
    assert watch.seen("wallboard", MAX_HOLES + 5, now=0.0) == MAX_HOLES + 4
    assert watch.next_deadline() is None


def test_numbers_taken_before_the_socket_joined_count_for_nothing():
    # The counter said 10 when the socket joined; 9 and 10 were on their way.
    watch = StreamWatch()
    watch.joined("wallboard", 10)
    assert watch.seen("wallboard", 9, now=0.0) == 0
    assert watch.seen("wallboard", 10, now=0.0) == 0
    assert watch.seen("wallboard", 11, now=0.0) == 0


def test_a_counter_that_starts_again_is_a_loss():
    # Redis came back empty: its counters number from 1 again.
    watch = StreamWatch()
    watch.joined("wallboard", 0)
    for n in range(1, 6):
        watch.seen("wallboard", n, now=0.0)
    assert watch.seen("wallboard", 1, now=1.0) == 1
    assert watch.seen("wallboard", 2, now=1.0) == 0


def test_an_unknown_counter_starts_with_the_first_message_and_other_groups_are_apart():
    watch = StreamWatch()
    watch.joined("wallboard", None)
    watch.joined("agent.3", 0)
    assert watch.seen("wallboard", 41, now=0.0) == 0
    assert watch.seen("wallboard", 42, now=0.0) == 0
    assert watch.seen("agent.3", 1, now=0.0) == 0
    assert watch.seen("queue.9", 17, now=0.0) == 0  # not joined: not watched
    watch.left("wallboard")
    assert watch.seen("wallboard", 50, now=0.0) == 0 and watch.next_deadline() is None
