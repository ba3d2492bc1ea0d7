"""The step graph's rules (docs/scripts.md "Validation"): each problem named, with its step and answer."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contactcenter.scripts.graph import validate_steps
from tests.scripts.factories import steps

ACTIVE = {"resolved", "callback"}


def codes(raw, **kwargs) -> list[tuple[str, str | None, int | None]]:
    return [(p.code, p.step, p.answer) for p in validate_steps(raw, active_dispositions=ACTIVE, **kwargs)]


def test_a_branching_script_with_known_placeholders_has_no_problem():
    assert validate_steps(steps(), active_dispositions=ACTIVE) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"key": "a"}, [("not_a_list", None, None)]),
        ([], [("empty", None, None)]),
        (["hello"], [("not_an_object", None, None)]),
    ],
)
def test_not_a_list_of_steps(raw, expected):
    assert codes(raw) == expected


def test_a_step_without_key_or_text_is_named_by_its_position():
    problems = validate_steps(
        [{"key": "start", "text": "Hi", "answers": [{"label": "Go", "next": "start"}]}, {"text": ""}]
    )

    assert ("no_key", "#2") in [(p.code, p.step) for p in problems]
    assert ("no_text", "#2") in [(p.code, p.step) for p in problems]
    assert "Step 2 has no key." in [p.message for p in problems]


def test_duplicate_and_badly_written_keys():
    raw = [
        {"key": "start", "text": "Hi", "answers": [{"label": "Go", "next": "end"}]},
        {"key": "end", "text": "Bye"},
        {"key": "end", "text": "Bye again"},
        {"key": "with space", "text": "?"},
    ]
    found = codes(raw)

    assert ("duplicate_key", "end", None) in found
    assert ("bad_key", "with space", None) in found
    message = next(p.message for p in validate_steps(raw) if p.code == "duplicate_key")
    assert message == "The key “end” is used by more than one step."


def test_a_dangling_answer_names_its_step_answer_and_target():
    raw = steps()
    raw[1]["answers"][0]["next"] = "closnig"

    problems = [p for p in validate_steps(raw, active_dispositions=ACTIVE) if p.level == "error"]

    assert [(p.code, p.step, p.answer) for p in problems] == [
        ("dangling_answer", "billing", 1),
        # "closing" lost its only way in.
        ("orphan_step", "closing", None),
    ]
    assert problems[0].message == "Step “billing”, answer “Done” leads to “closnig”, which is no step of this script."


def test_answers_need_a_label_and_a_next_step():
    raw = [
        {"key": "start", "text": "Hi", "answers": [{"label": "", "next": "end"}, {"label": "Later", "next": ""}]},
        {"key": "end", "text": "Bye"},
    ]
    assert codes(raw) == [("no_label", "start", 1), ("no_next", "start", 2)]


def test_an_orphan_step_and_an_unreachable_one_are_told_apart():
    raw = [
        *steps(),
        {"key": "island", "text": "Nobody comes here", "answers": [{"label": "On", "next": "beyond"}]},
        {"key": "beyond", "text": "Only from the island"},
    ]

    assert codes(raw) == [("orphan_step", "island", None), ("unreachable_step", "beyond", None)]
    messages = [p.message for p in validate_steps(raw, active_dispositions=ACTIVE)]
    assert "No answer leads to step “island”: link it from another step or remove it." in messages
    assert "Step “beyond” cannot be reached from the start step “greeting”." in messages


def test_a_loop_is_allowed_when_every_path_can_still_end():
    raw = steps()
    raw[1]["answers"].append({"label": "Could you repeat?", "next": "billing"})
    raw[3]["answers"] = []

    assert codes(raw) == []


def test_a_loop_with_no_way_out_is_an_error_for_each_trapped_step():
    raw = [
        {"key": "start", "text": "Hi", "answers": [{"label": "A", "next": "ping"}, {"label": "B", "next": "end"}]},
        {"key": "ping", "text": "Ping", "answers": [{"label": "again", "next": "pong"}]},
        {"key": "pong", "text": "Pong", "answers": [{"label": "again", "next": "ping"}]},
        {"key": "end", "text": "Bye"},
    ]

    assert codes(raw) == [("no_way_out", "ping", None), ("no_way_out", "pong", None)]


def test_a_suggested_disposition_must_be_an_active_one(db):
    raw = steps()
    raw[3]["disposition"] = "sold-a-yacht"

    assert codes(raw) == [("unknown_disposition", "closing", None)]
    # Read from the database when not given: the default list has "resolved" and "callback".
    assert validate_steps(steps()) == []


def test_unknown_placeholders_and_misplaced_dispositions_are_warnings_only():
    raw = steps()
    raw[0]["text"] = "Hello {firstname}!"
    raw[1]["disposition"] = "resolved"

    problems = validate_steps(raw, active_dispositions=ACTIVE)

    assert {(p.level, p.code, p.step) for p in problems} == {
        ("warning", "unknown_placeholder", "greeting"),
        ("warning", "disposition_not_at_end", "billing"),
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["key", "text", "answers", "label", "next", "disposition"]), children, max_size=5
        )
    ),
    max_leaves=20,
)


@given(json_values)
def test_any_json_gets_problems_never_an_exception(raw):
    problems = validate_steps(raw, active_dispositions=ACTIVE)
    assert all(p.message for p in problems)
