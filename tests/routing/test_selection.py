"""The routing's pure rules (contactcenter/distribution/selection.py): who is eligible, who is
chosen and why, which item goes first. No database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from contactcenter.distribution.selection import (
    RULE_LAST_AGENT,
    RULE_LONGEST_IDLE,
    RULE_NONE,
    RULE_SKILL,
    RULE_USERNAME,
    Candidate,
    Demand,
    Waiting,
    choose,
    in_order,
    jump_at,
    may_take_work,
    near_due,
    refusal,
)

NOW = datetime(2026, 3, 4, 13, 30, tzinfo=UTC)
QUEUE, OTHER_QUEUE = 1, 2
FRENCH, BILLING = 10, 11
CAPACITY = {"voice": 1, "chat": 3, "email": 5}


def agent(user_id: int, *, idle_minutes: float = 5, **changes) -> Candidate:
    values = {
        "user_id": user_id,
        "username": f"agent{user_id}",
        "status": "available",
        "since": NOW - timedelta(minutes=idle_minutes),
        "queue_ids": frozenset({QUEUE}),
        "levels": {},
        "load": {},
        "capacity": CAPACITY,
    }
    values.update(changes)
    return Candidate(**values)


def chat(**changes) -> Demand:
    return Demand(**{"queue_id": QUEUE, "channel": "chat", **changes})


class TestEligible:
    def test_an_available_member_under_capacity_is_eligible(self):
        assert refusal(agent(1), chat()) is None

    def test_not_a_member_of_the_queue(self):
        assert refusal(agent(1, queue_ids=frozenset({OTHER_QUEUE})), chat()) == "queue"

    @pytest.mark.parametrize(("levels", "outcome"), [({}, "skills"), ({FRENCH: 1}, "skills"), ({FRENCH: 2}, None)])
    def test_each_required_skill_at_the_level_asked(self, levels, outcome):
        assert refusal(agent(1, levels=levels), chat(required=((FRENCH, 2),))) == outcome

    def test_every_required_skill(self):
        demand = chat(required=((FRENCH, 1), (BILLING, 1)))
        assert refusal(agent(1, levels={FRENCH: 3}), demand) == "skills"
        assert refusal(agent(1, levels={FRENCH: 3, BILLING: 1}), demand) is None

    @pytest.mark.parametrize("status", ["offline", "break", "ringing", "busy", "wrap_up"])
    def test_only_available_agents(self, status):
        assert refusal(agent(1, status=status), chat()) == "status"

    @pytest.mark.parametrize(("status", "outcome"), [("busy", None), ("wrap_up", None), ("break", "status")])
    def test_blending_admits_agents_on_a_call(self, status, outcome):
        assert refusal(agent(1, status=status, load={"voice": 1}), chat(blending=True)) == outcome

    def test_something_pending_or_an_open_offer_is_not_eligible(self):
        assert refusal(agent(1, status="busy", pending=True), chat(blending=True)) == "pending"
        assert refusal(agent(1, offered=True), chat()) == "offered"

    def test_an_agent_who_declined_the_item_lately(self):
        assert refusal(agent(1), chat(excluded=frozenset({1}))) == "declined"

    @pytest.mark.parametrize(("load", "outcome"), [(2, None), (3, "capacity"), (4, "capacity")])
    def test_capacity_per_channel(self, load, outcome):
        assert refusal(agent(1, load={"chat": load}), chat()) == outcome

    def test_capacity_of_another_channel_does_not_count(self):
        assert refusal(agent(1, load={"email": 5}), chat()) is None
        assert refusal(agent(1, load={"chat": 3}), chat(channel="email")) is None

    def test_a_capacity_of_the_profile(self):
        assert refusal(agent(1, load={"chat": 1}, capacity={**CAPACITY, "chat": 1}), chat()) == "capacity"

    def test_voice_work_blocks_other_work_unless_blending(self):
        on_callback = agent(1, load={"voice": 1})
        assert refusal(on_callback, chat()) == "voice"
        assert refusal(on_callback, chat(blending=True)) is None
        assert refusal(on_callback, chat(channel="voice")) == "capacity"


class TestChoice:
    def test_longest_idle_wins(self):
        choice = choose(
            [agent(1, idle_minutes=3), agent(2, idle_minutes=12), agent(3, idle_minutes=7)], chat(), now=NOW
        )
        assert (choice.agent.user_id, choice.rule, choice.idle_seconds) == (2, RULE_LONGEST_IDLE, 720)

    def test_the_ineligible_are_skipped_however_idle(self):
        choice = choose([agent(1, idle_minutes=3), agent(2, idle_minutes=60, status="break")], chat(), now=NOW)
        assert choice.agent.user_id == 1

    def test_the_customers_last_agent_when_eligible(self):
        candidates = [agent(1, idle_minutes=30), agent(2, idle_minutes=1)]
        choice = choose(candidates, chat(preferred=2), now=NOW)
        assert (choice.agent.user_id, choice.rule) == (2, RULE_LAST_AGENT)

    def test_the_last_agent_not_eligible_falls_back_to_longest_idle(self):
        candidates = [agent(1, idle_minutes=30), agent(2, idle_minutes=1, load={"chat": 3})]
        choice = choose(candidates, chat(preferred=2), now=NOW)
        assert (choice.agent.user_id, choice.rule) == (1, RULE_LONGEST_IDLE)

    def test_a_tie_goes_to_the_higher_skill_level(self):
        demand = chat(required=((FRENCH, 1), (BILLING, 1)))
        candidates = [agent(1, levels={FRENCH: 2, BILLING: 1}), agent(2, levels={FRENCH: 3, BILLING: 2})]
        choice = choose(candidates, demand, now=NOW)
        assert (choice.agent.user_id, choice.rule) == (2, RULE_SKILL)

    def test_then_to_the_username(self):
        candidates = [agent(2, username="zoe"), agent(1, username="anna")]
        choice = choose(candidates, chat(), now=NOW)
        assert (choice.agent.username, choice.rule) == ("anna", RULE_USERNAME)

    def test_available_agents_before_agents_on_a_call(self):
        candidates = [agent(1, status="busy", idle_minutes=50, load={"voice": 1}), agent(2, idle_minutes=1)]
        assert choose(candidates, chat(blending=True), now=NOW).agent.user_id == 2

    def test_nobody(self):
        choice = choose([agent(1, status="offline")], chat(), now=NOW)
        assert (choice.agent, choice.rule) == (None, RULE_NONE)

    @pytest.mark.parametrize(
        ("candidates", "demand", "english", "french"),
        [
            ([agent(1, idle_minutes=12.5)], chat(), "longest idle (12 min)", "inactif le plus longtemps (12\u00a0min)"),
            ([agent(1)], chat(preferred=1), "customer's last agent", "dernier agent du client"),
            ([], chat(), "no agent available", "aucun agent disponible"),
            (
                [agent(1, levels={FRENCH: 2}), agent(2, levels={FRENCH: 1})],
                chat(required=((FRENCH, 1),)),
                "longest idle (5 min), higher skill level",
                "inactif le plus longtemps (5\u00a0min), niveau de compétence plus élevé",
            ),
        ],
    )
    def test_the_reason_in_words_in_english_and_french(self, candidates, demand, english, french):
        choice = choose(candidates, demand, now=NOW)
        with translation.override("en"):
            assert choice.reason() == english
        with translation.override("fr"):
            assert choice.reason() == french


class TestOrder:
    def test_priority_first_then_oldest(self):
        items = [
            Waiting(1, priority=50, arrived_at=NOW - timedelta(minutes=10)),
            Waiting(2, priority=60, arrived_at=NOW - timedelta(minutes=1)),
            Waiting(3, priority=50, arrived_at=NOW - timedelta(minutes=20)),
        ]
        assert [item.item_id for item in in_order(items, now=NOW)] == [2, 3, 1]

    def test_near_due_items_pass_older_ones_of_their_priority(self):
        due_soon = Waiting(1, priority=50, arrived_at=NOW - timedelta(minutes=1), jump_at=NOW - timedelta(seconds=1))
        not_yet = Waiting(2, priority=50, arrived_at=NOW - timedelta(minutes=9), jump_at=NOW + timedelta(minutes=5))
        older = Waiting(3, priority=50, arrived_at=NOW - timedelta(minutes=10))
        higher = Waiting(4, priority=51, arrived_at=NOW)
        assert [item.item_id for item in in_order([due_soon, not_yet, older, higher], now=NOW)] == [4, 1, 3, 2]

    def test_ties_by_id(self):
        items = [Waiting(2, priority=50, arrived_at=NOW), Waiting(1, priority=50, arrived_at=NOW)]
        assert [item.item_id for item in in_order(items, now=NOW)] == [1, 2]

    def test_the_jump_threshold(self):
        due = NOW + timedelta(minutes=5)
        assert jump_at(due, 300) == NOW
        assert jump_at(due, None) is None and jump_at(None, 300) is None
        assert near_due(Waiting(1, 50, NOW, jump_at=jump_at(due, 300)), now=NOW)
        assert not near_due(Waiting(1, 50, NOW, jump_at=jump_at(due, 299)), now=NOW)


@pytest.mark.parametrize(
    ("changes", "blending", "may"),
    [
        ({}, False, True),
        ({"status": "busy"}, False, False),
        ({"status": "busy"}, True, True),
        ({"status": "wrap_up"}, True, True),
        ({"status": "break"}, True, False),
        ({"pending": True}, False, False),
        ({"offered": True}, True, False),
    ],
)
def test_the_pool_keeps_only_agents_who_may_take_some_work(changes, blending, may):
    candidate = agent(1, **changes)
    assert may_take_work(candidate, blending=blending) is may
    # Never narrower than the rules: whoever refusal() lets through for some item is kept.
    if refusal(candidate, chat(blending=blending)) is None:
        assert may
