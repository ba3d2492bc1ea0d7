"""The step graph of a call script, and what makes it publishable.

A script's steps are a JSON list of ``{"key", "text", "answers": [{"label", "next"}],
"disposition"?, "title"?}`` (see :mod:`contactcenter.scripts.selectors`): the first step is the
start; an answer leads to the step named by its ``next``; a step without answers ends the script
and may suggest a disposition code.

:func:`validate_steps` lists every problem at once, each naming its step and answer, in two
passes:

the shape, checked against the JSON Schema :data:`STEPS_SCHEMA` (Draft 2020-12)
    a non-empty list of at most :data:`MAX_STEPS` objects; each step with a key (letters, digits,
    ``-`` and ``_``, 50 at most) and a text that is not blank, answers that are a list of objects
    with a label and a next step, strings where strings are expected, no field the format does not
    know, texts no longer than their limits. Each schema error becomes one problem with a stable
    code and a translated sentence naming the step and the answer (:func:`_shape_problems_of`).

the graph, checked by hand (what a schema cannot say)
    a key used twice, an answer leading to no step (dangling), a step that no answer leads to
    (orphan) or that cannot be reached from the start (unreachable), a suggested disposition that
    is no active disposition, a step from which no path ends.

Every problem of both passes is an **error** (a draft with one cannot be published) except these
**warnings** (shown, publishing allowed): a placeholder the desktop does not fill (it stays as
typed), a disposition on a step that has answers (only end steps suggest one), two answers of one
step with the same label.

Loops are allowed (``"Could you repeat?" → back to the question``) as long as **every path can
end**: from every step some end step can be reached. A loop with no way out would trap the
agent, so it is an error.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from contactcenter.scripts.selectors import PLACEHOLDER
from interactions.models import Disposition

#: The placeholders the desktop fills (:func:`contactcenter.scripts.selectors.placeholder_values`).
PLACEHOLDERS = ("first_name", "last_name", "customer", "company", "agent")
ERROR, WARNING = "error", "warning"

#: A script holds at most this many steps (what the editor and the API read at most).
MAX_STEPS = 200
#: A step's key travels in URLs (the desktop's trail) and in ``next``.
MAX_KEY_LENGTH = 50
#: Most characters of a step's text, title and of an answer's label.
MAX_LENGTHS = {"text": 4000, "title": 100, "label": 100}

STEP_FIELDS = ("key", "title", "text", "answers", "disposition")
ANSWER_FIELDS = ("label", "next")
#: Not blank: at least one character that is not a space.
_NOT_BLANK = r"\S"

#: The shape of a script's steps. ``$`` of a Python pattern also matches before a final newline:
#: ``(?!\n)`` refuses that one (and changes nothing for an ECMA-262 engine).
STEPS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Call script steps",
    "type": "array",
    "minItems": 1,
    "maxItems": MAX_STEPS,
    "items": {"$ref": "#/$defs/step"},
    "$defs": {
        "step": {
            "type": "object",
            "required": ["key", "text"],
            "additionalProperties": False,
            "properties": {
                "key": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_KEY_LENGTH,
                    "pattern": "^[A-Za-z0-9_-]*$(?!\\n)",
                },
                "title": {"type": ["string", "null"], "maxLength": MAX_LENGTHS["title"]},
                "text": {"type": "string", "pattern": _NOT_BLANK, "maxLength": MAX_LENGTHS["text"]},
                "answers": {"type": ["array", "null"], "items": {"$ref": "#/$defs/answer"}},
                "disposition": {"type": ["string", "null"]},
            },
        },
        "answer": {
            "type": "object",
            "required": ["label", "next"],
            "additionalProperties": False,
            "properties": {
                "label": {"type": "string", "pattern": _NOT_BLANK, "maxLength": MAX_LENGTHS["label"]},
                "next": {"type": "string", "pattern": _NOT_BLANK},
            },
        },
    },
}
_VALIDATOR = Draft202012Validator(STEPS_SCHEMA)


@dataclass(frozen=True)
class StepProblem:
    """One thing wrong with a script's steps: ``level`` is ``"error"`` or ``"warning"``, ``code`` a
    stable identifier (``dangling_answer``…), ``message`` a sentence naming the step (and answer);
    ``step`` the step's key (or ``#n`` when it has none), ``answer`` the answer's position from 1."""

    level: str
    code: str
    message: str
    step: str | None = None
    answer: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "code": self.code,
            "message": self.message,
            "step": self.step,
            "answer": self.answer,
        }


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _name(raw: Any, position: int) -> str:
    key = _text(raw.get("key")) if isinstance(raw, dict) else ""
    return key or f"#{position}"


def _answers(raw: dict[str, Any]) -> list[Any]:
    answers = raw.get("answers")
    return answers if isinstance(answers, list) else []


def _quoted(names: list[str]) -> str:
    return ", ".join(_("“%(name)s”") % {"name": name} for name in names)


def _shape_problems_of(error: SchemaError, steps: Any) -> list[tuple[tuple, StepProblem]]:
    """The problems one schema error stands for, each with the key that puts it in step order:
    ``(step, 0, field)`` for a step's own problems, then ``(step, 1, answer, field)`` for its
    answers' (fields in the order of :data:`STEP_FIELDS` and :data:`ANSWER_FIELDS`)."""
    path = list(error.absolute_path)
    keyword = error.validator
    if not path:
        if keyword == "type":
            return [((-1,), StepProblem(ERROR, "not_a_list", _("The steps must be a list.")))]
        if keyword == "minItems":
            return [((-1,), StepProblem(ERROR, "empty", _("The script has no step: add at least one.")))]
        message = _("The script has %(count)s steps; %(max)s at most.") % {"count": len(steps), "max": MAX_STEPS}
        return [((-1,), StepProblem(ERROR, "too_many_steps", message))]
    position = path[0] + 1
    raw = steps[path[0]]
    step = _name(raw, position)
    if len(path) == 1:
        if keyword == "type":
            message = _("Step %(n)s is not an object with a key and a text.") % {"n": position}
            return [((position, 0), StepProblem(ERROR, "not_an_object", message))]
        if keyword == "required":
            missing = [name for name in error.validator_value if name not in raw]
            return [_field_problem(name, keyword, raw, step, position) for name in missing]
        unknown = [str(name) for name in raw if name not in STEP_FIELDS]
        message = ngettext(
            "Step “%(step)s”: unknown field %(fields)s; a step holds key, title, text, answers and disposition.",
            "Step “%(step)s”: unknown fields %(fields)s; a step holds key, title, text, answers and disposition.",
            len(unknown),
        ) % {"step": step, "fields": _quoted(unknown)}
        return [((position, 0, len(STEP_FIELDS)), StepProblem(ERROR, "unknown_field", message, step))]
    if len(path) == 2:
        return [_field_problem(str(path[1]), keyword, raw, step, position)]
    number = path[2] + 1
    answer = raw["answers"][path[2]]
    order = (position, 1, number)
    if len(path) == 3:
        if keyword == "type":
            message = _("Step “%(step)s”, answer %(n)s is not an object with a label and a next step.") % {
                "step": step,
                "n": number,
            }
            return [((*order, 0), StepProblem(ERROR, "not_an_object", message, step, number))]
        if keyword == "required":
            missing = [name for name in error.validator_value if name not in answer]
            return [_answer_problem(name, keyword, answer, step, number, order) for name in missing]
        unknown = [str(name) for name in answer if name not in ANSWER_FIELDS]
        message = ngettext(
            "Step “%(step)s”, answer %(n)s: unknown field %(fields)s; an answer holds label and next.",
            "Step “%(step)s”, answer %(n)s: unknown fields %(fields)s; an answer holds label and next.",
            len(unknown),
        ) % {
            "step": step,
            "n": number,
            "fields": _quoted(unknown),
        }
        return [((*order, len(ANSWER_FIELDS)), StepProblem(ERROR, "unknown_field", message, step, number))]
    return [_answer_problem(str(path[3]), keyword, answer, step, number, order)]


def _field_problem(field: str, keyword: str, raw: dict, step: str, position: int) -> tuple[tuple, StepProblem]:
    """A step's ``field`` failing the schema's ``keyword`` (``required``: it is missing)."""
    order = (position, 0, STEP_FIELDS.index(field) if field in STEP_FIELDS else 0)
    if field == "answers":
        message = _("Step “%(step)s”: the answers must be a list.") % {"step": step}
        return order, StepProblem(ERROR, "bad_answers", message, step)
    if keyword == "type":
        message = _("Step “%(step)s”: “%(field)s” must be a string.") % {"step": step, "field": field}
        return order, StepProblem(ERROR, "bad_type", message, step)
    if field == "key" and keyword in ("required", "minLength"):
        return order, StepProblem(ERROR, "no_key", _("Step %(n)s has no key.") % {"n": position}, step)
    if field == "key":
        message = _("The key “%(key)s” may only hold letters, digits, “-” and “_” (50 at most).") % {"key": raw["key"]}
        return order, StepProblem(ERROR, "bad_key", message, step)
    if keyword == "maxLength" and field == "title":
        message = _("Step “%(step)s”: the title is longer than %(max)s characters.")
        return order, StepProblem(ERROR, "too_long", message % {"step": step, "max": MAX_LENGTHS[field]}, step)
    if keyword == "maxLength":
        message = _("Step “%(step)s”: the text is longer than %(max)s characters.")
        return order, StepProblem(ERROR, "too_long", message % {"step": step, "max": MAX_LENGTHS[field]}, step)
    return order, StepProblem(ERROR, "no_text", _("Step “%(step)s” has no text.") % {"step": step}, step)


def _answer_problem(
    field: str, keyword: str, answer: dict, step: str, number: int, order: tuple
) -> tuple[tuple, StepProblem]:
    """An answer's ``field`` failing the schema's ``keyword`` (``required``: it is missing)."""
    order = (*order, ANSWER_FIELDS.index(field) if field in ANSWER_FIELDS else 0)
    if keyword == "type":
        message = _("Step “%(step)s”, answer %(n)s: “%(field)s” must be a string.")
        params = {"step": step, "n": number, "field": field}
        return order, StepProblem(ERROR, "bad_type", message % params, step, number)
    if keyword == "maxLength":
        message = _("Step “%(step)s”, answer %(n)s: the label is longer than %(max)s characters.")
        params = {"step": step, "n": number, "max": MAX_LENGTHS["label"]}
        return order, StepProblem(ERROR, "too_long", message % params, step, number)
    if field == "label":
        message = _("Step “%(step)s”, answer %(n)s has no label.") % {"step": step, "n": number}
        return order, StepProblem(ERROR, "no_label", message, step, number)
    label = _text(answer.get("label")) or number
    message = _("Step “%(step)s”, answer “%(label)s” leads to no step: choose its next step.")
    return order, StepProblem(ERROR, "no_next", message % {"step": step, "label": label}, step, number)


def shape_problems(steps: Any) -> list[StepProblem]:
    """What is wrong with the shape of ``steps`` (:data:`STEPS_SCHEMA`), in step order."""
    found: dict[tuple[tuple, str], StepProblem] = {}
    for error in _VALIDATOR.iter_errors(steps):
        for order, problem in _shape_problems_of(error, steps):
            # A key both too long and badly written is one problem, said once.
            found.setdefault((order, problem.code), problem)
    return [found[place] for place in sorted(found)]


def validate_steps(steps: Any, *, active_dispositions: set[str] | None = None) -> list[StepProblem]:
    """Every problem of ``steps`` (errors first: the shape's in step order, then the graph's; then
    warnings); ``[]`` when it can be published as it is. ``active_dispositions``: the codes a step
    may suggest (default: the active :class:`interactions.models.Disposition` codes, one query,
    only when a step suggests one). Never raises, whatever JSON it is given."""
    problems = shape_problems(steps)
    warnings: list[StepProblem] = []

    def error(code: str, message: str, step: str | None = None, answer: int | None = None) -> None:
        problems.append(StepProblem(ERROR, code, message, step, answer))

    def warn(code: str, message: str, step: str | None = None, answer: int | None = None) -> None:
        warnings.append(StepProblem(WARNING, code, message, step, answer))

    if not isinstance(steps, list) or not steps:
        return problems

    # The graph is read leniently (keys and targets trimmed, wrong types taken as missing): the
    # shape's problems are already said, the graph's are said as well where they can be.
    keys: list[str | None] = []
    seen: set[str] = set()
    for position, raw in enumerate(steps, start=1):
        key = _text(raw.get("key")) if isinstance(raw, dict) else ""
        if key and key in seen:
            error("duplicate_key", _("The key “%(key)s” is used by more than one step.") % {"key": key}, key)
            keys.append(None)
        else:
            keys.append(key or None)
        if key:
            seen.add(key)
        if isinstance(raw, dict) and _text(raw.get("text")):
            name = _name(raw, position)
            for placeholder in sorted({m.group(1) for m in PLACEHOLDER.finditer(raw["text"])} - set(PLACEHOLDERS)):
                warn(
                    "unknown_placeholder",
                    _("Step “%(step)s”: the placeholder {%(name)s} is not filled in on the desktop; known: %(known)s.")
                    % {"step": name, "name": placeholder, "known": ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)},
                    name,
                )

    edges: dict[str, list[str]] = {key: [] for key in keys if key}
    targets: set[str] = set()
    dispositions_wanted: list[tuple[str, str]] = []
    for position, raw in enumerate(steps, start=1):
        if not isinstance(raw, dict):
            continue
        name, key = _name(raw, position), keys[position - 1]
        labels: set[str] = set()
        answers = _answers(raw)
        for number, answer in enumerate(answers, start=1):
            label = _text(answer.get("label")) if isinstance(answer, dict) else ""
            target = _text(answer.get("next")) if isinstance(answer, dict) else ""
            if label and label in labels:
                warn(
                    "duplicate_label",
                    _("Step “%(step)s” has two answers labelled “%(label)s”.") % {"step": name, "label": label},
                    name,
                    number,
                )
            labels.add(label)
            if not target:
                continue  # No next step: a problem of the shape.
            if target not in edges:
                error(
                    "dangling_answer",
                    _("Step “%(step)s”, answer “%(label)s” leads to “%(next)s”, which is no step of this script.")
                    % {"step": name, "label": label or number, "next": target},
                    name,
                    number,
                )
            else:
                if key and key in edges:
                    edges[key].append(target)
                if target != key:
                    targets.add(target)
        code = _text(raw.get("disposition"))
        if code:
            if answers:
                warn(
                    "disposition_not_at_end",
                    _("Step “%(step)s” suggests a disposition but has answers: only end steps suggest one.")
                    % {"step": name},
                    name,
                )
            dispositions_wanted.append((name, code))

    if dispositions_wanted:
        if active_dispositions is None:
            active_dispositions = set(Disposition.objects.filter(is_active=True).values_list("code", flat=True))
        for name, code in dispositions_wanted:
            if code not in active_dispositions:
                error(
                    "unknown_disposition",
                    _("Step “%(step)s” suggests the disposition “%(code)s”, which is no active disposition.")
                    % {"step": name, "code": code},
                    name,
                )

    start = keys[0] if keys and keys[0] else None
    if start is not None:
        reachable = _reachable(edges, [start])
        for key in edges:
            if key in reachable:
                continue
            if key not in targets:
                error(
                    "orphan_step",
                    _("No answer leads to step “%(step)s”: link it from another step or remove it.") % {"step": key},
                    key,
                )
            else:
                error(
                    "unreachable_step",
                    _("Step “%(step)s” cannot be reached from the start step “%(start)s”.")
                    % {"step": key, "start": start},
                    key,
                )
        structural = {"not_an_object", "no_key", "bad_type", "duplicate_key", "no_next", "dangling_answer"}
        if any(problem.code in structural for problem in problems):
            # An answer leading nowhere would make every step before it look trapped: say that first.
            return problems + warnings
        ends = {key for key, following in edges.items() if not following and _ends(steps, keys, key)}
        reversed_edges: dict[str, list[str]] = {key: [] for key in edges}
        for key, following in edges.items():
            for target in following:
                reversed_edges[target].append(key)
        can_end = _reachable(reversed_edges, list(ends))
        for key in edges:
            if key in reachable and key not in can_end:
                error(
                    "no_way_out",
                    _("From step “%(step)s” no path reaches an end step (a loop with no way out).") % {"step": key},
                    key,
                )
    return problems + warnings


def _ends(steps: list[Any], keys: list[str | None], key: str) -> bool:
    """Whether the step ``key`` really has no answer (an answer leading nowhere is not an end)."""
    raw = steps[keys.index(key)]
    return not _answers(raw)


def _reachable(edges: dict[str, list[str]], starts: list[str]) -> set[str]:
    seen = set(starts)
    queue = deque(starts)
    while queue:
        for target in edges.get(queue.popleft(), []):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def errors_of(problems: list[StepProblem]) -> list[StepProblem]:
    """The problems that prevent publishing."""
    return [problem for problem in problems if problem.level == ERROR]
