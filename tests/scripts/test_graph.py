"""The step graph's rules (docs/scripts.md "Validation"): each problem named, with its step and answer."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from contactcenter.scripts.graph import STEPS_SCHEMA, validate_steps
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


def test_the_shape_is_a_valid_draft_2020_12_schema_that_the_demo_steps_meet():
    Draft202012Validator.check_schema(STEPS_SCHEMA)
    assert Draft202012Validator(STEPS_SCHEMA).is_valid(steps())


def test_fields_the_format_does_not_know_are_errors_naming_the_step_and_answer():
    raw = steps()
    raw[0]["dispostion"] = "resolved"
    raw[0]["answers"][1]["nxt"] = "other"
    raw[0]["answers"][1]["note"] = "?"

    problems = [p for p in validate_steps(raw, active_dispositions=ACTIVE) if p.code == "unknown_field"]

    assert [(p.step, p.answer, p.message) for p in problems] == [
        (
            "greeting",
            None,
            "Step “greeting”: unknown field “dispostion”; a step holds key, title, text, answers and disposition.",
        ),
        (
            "greeting",
            2,
            "Step “greeting”, answer 2: unknown fields “nxt”, “note”; an answer holds label and next.",
        ),
    ]


def test_wrong_types_are_named_by_field_and_an_answer_must_be_an_object():
    raw = [
        {"key": "start", "text": 42, "title": ["x"], "answers": [{"label": 1, "next": "end"}, "end"]},
        {"key": "end", "text": "Bye", "disposition": 7},
    ]

    found = [(p.code, p.step, p.answer, p.message) for p in validate_steps(raw, active_dispositions=ACTIVE)]

    assert found == [
        ("bad_type", "start", None, "Step “start”: “title” must be a string."),
        ("bad_type", "start", None, "Step “start”: “text” must be a string."),
        ("bad_type", "start", 1, "Step “start”, answer 1: “label” must be a string."),
        ("not_an_object", "start", 2, "Step “start”, answer 2 is not an object with a label and a next step."),
        ("bad_type", "end", None, "Step “end”: “disposition” must be a string."),
    ]


def test_blank_texts_keys_with_spaces_and_long_texts_are_errors():
    raw = [
        {"key": "start ", "text": "   ", "answers": [{"label": " ", "next": "end"}]},
        {"key": "end", "text": "x" * 4001, "title": "t" * 101, "answers": [{"label": "y" * 101, "next": " "}]},
    ]

    assert codes(raw) == [
        ("bad_key", "start", None),
        ("no_text", "start", None),
        ("no_label", "start", 1),
        ("too_long", "end", None),
        ("too_long", "end", None),
        ("too_long", "end", 1),
        ("no_next", "end", 1),
    ]
    messages = [p.message for p in validate_steps(raw, active_dispositions=ACTIVE)]
    assert "Step “end”: the text is longer than 4000 characters." in messages
    assert "Step “end”, answer 1: the label is longer than 100 characters." in messages


def test_a_script_holds_200_steps_at_most():
    raw = [{"key": f"s{n}", "text": "Hi", "answers": [{"label": "Go", "next": f"s{n + 1}"}]} for n in range(200)]
    raw.append({"key": "s200", "text": "Bye"})

    assert codes(raw) == [("too_many_steps", None, None)]


def test_the_messages_are_translated():
    raw = [{"key": "start", "text": "Hi", "answers": [{"label": "Go", "next": "start", "extra": 1}]}, {"text": 3}]

    with translation.override("fr"):
        messages = [p.message for p in validate_steps(raw, active_dispositions=ACTIVE)]

    # French typography: a no-break space inside « » and before : and ;
    assert [message.replace("\u00a0", "~") for message in messages] == [
        "Étape «~start~», réponse 1~: champ inconnu «~extra~»~; une réponse contient label et next.",
        "L'étape 2 n'a pas de clé.",
        "Étape «~#2~»~: «~text~» doit être une chaîne de caractères.",
    ]


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
