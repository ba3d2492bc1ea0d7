"""The step graph of a call script, and what makes it publishable.

A script's steps are a JSON list of ``{"key", "text", "answers": [{"label", "next"}],
"disposition"?, "title"?}`` (see :mod:`contactcenter.scripts.selectors`): the first step is the
start; an answer leads to the step named by its ``next``; a step without answers ends the script
and may suggest a disposition code.

:func:`validate_steps` lists every problem at once, each naming its step and answer:

errors (a draft with one cannot be published)
    not a list, no step, a step that is not an object, without a key or text, a key used twice or
    with other characters than letters, digits, ``-`` and ``_``, answers that are not a list, an
    answer without a label or without a next step, an answer leading to no step (dangling), a step
    that no answer leads to (orphan) or that cannot be reached from the start (unreachable), a
    suggested disposition that is no active disposition, a step from which no path ends.

warnings (shown, publishing allowed)
    a placeholder the desktop does not fill (it stays as typed), a disposition on a step that has
    answers (only end steps suggest one), two answers of one step with the same label.

Loops are allowed (``"Could you repeat?" → back to the question``) as long as **every path can
end**: from every step some end step can be reached. A loop with no way out would trap the
agent, so it is an error.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from contactcenter.scripts.selectors import PLACEHOLDER

#: What a step's key may hold: it travels in URLs (the desktop's trail) and in ``next``.
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,50}$")
#: The placeholders the desktop fills (:func:`contactcenter.scripts.selectors.placeholder_values`).
PLACEHOLDERS = ("first_name", "last_name", "customer", "company", "agent")
ERROR, WARNING = "error", "warning"


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


def validate_steps(steps: Any, *, active_dispositions: set[str] | None = None) -> list[StepProblem]:
    """Every problem of ``steps`` (errors first, in step order, then warnings); ``[]`` when it can be
    published as it is. ``active_dispositions``: the codes a step may suggest (default: the active
    :class:`interactions.models.Disposition` codes, one query, only when a step suggests one).
    Never raises, whatever JSON it is given."""
    problems: list[StepProblem] = []
    warnings: list[StepProblem] = []

    def error(code: str, message: str, step: str | None = None, answer: int | None = None) -> None:
        problems.append(StepProblem(ERROR, code, message, step, answer))

    def warn(code: str, message: str, step: str | None = None, answer: int | None = None) -> None:
        warnings.append(StepProblem(WARNING, code, message, step, answer))

    if not isinstance(steps, list):
        error("not_a_list", _("The steps must be a list."))
        return problems
    if not steps:
        error("empty", _("The script has no step: add at least one."))
        return problems

    keys: list[str | None] = []
    seen: set[str] = set()
    for position, raw in enumerate(steps, start=1):
        if not isinstance(raw, dict):
            error("not_an_object", _("Step %(n)s is not an object with a key and a text.") % {"n": position})
            keys.append(None)
            continue
        key = _text(raw.get("key"))
        name = key or f"#{position}"
        if not key:
            error("no_key", _("Step %(n)s has no key.") % {"n": position}, name)
            keys.append(None)
        elif not KEY_PATTERN.match(key):
            error(
                "bad_key",
                _("The key “%(key)s” may only hold letters, digits, “-” and “_” (50 at most).") % {"key": key},
                name,
            )
            keys.append(key)
        elif key in seen:
            error("duplicate_key", _("The key “%(key)s” is used by more than one step.") % {"key": key}, name)
            keys.append(None)
        else:
            keys.append(key)
        if key:
            seen.add(key)
        if not _text(raw.get("text")):
            error("no_text", _("Step “%(step)s” has no text.") % {"step": name}, name)
        else:
            for placeholder in sorted({m.group(1) for m in PLACEHOLDER.finditer(raw["text"])} - set(PLACEHOLDERS)):
                warn(
                    "unknown_placeholder",
                    _("Step “%(step)s”: the placeholder {%(name)s} is not filled in on the desktop; known: %(known)s.")
                    % {"step": name, "name": placeholder, "known": ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)},
                    name,
                )
        if "answers" in raw and raw["answers"] not in (None, []) and not isinstance(raw["answers"], list):
            error("bad_answers", _("Step “%(step)s”: the answers must be a list.") % {"step": name}, name)

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
            if not label:
                error(
                    "no_label",
                    _("Step “%(step)s”, answer %(n)s has no label.") % {"step": name, "n": number},
                    name,
                    number,
                )
            elif label in labels:
                warn(
                    "duplicate_label",
                    _("Step “%(step)s” has two answers labelled “%(label)s”.") % {"step": name, "label": label},
                    name,
                    number,
                )
            labels.add(label)
            if not target:
                error(
                    "no_next",
                    _("Step “%(step)s”, answer “%(label)s” leads to no step: choose its next step.")
                    % {"step": name, "label": label or number},
                    name,
                    number,
                )
            elif target not in edges:
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
            from interactions.models import Disposition

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
        structural = {"not_an_object", "no_key", "duplicate_key", "no_next", "dangling_answer"}
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
