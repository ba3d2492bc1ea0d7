"""A readable comparison of two lists of script steps (two versions, or a version and the draft).

Steps are matched by key. Each comes out as added, removed, changed or unchanged; a changed step
says what changed: its text word by word (``difflib``), its answers (added, removed, relabelled,
leading elsewhere), its suggested disposition, its position.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

ADDED, REMOVED, CHANGED, UNCHANGED = "added", "removed", "changed", "unchanged"
_WORDS = re.compile(r"(\s+)")


@dataclass(frozen=True)
class TextChunk:
    """A run of words of a text diff: ``op`` is ``"equal"``, ``"insert"`` or ``"delete"``."""

    op: str
    text: str


@dataclass
class StepDiff:
    """How one step differs from ``a`` to ``b``: ``status`` one of added, removed, changed,
    unchanged; ``text`` the word-level diff of its text; ``changes`` readable sentences about its
    answers, disposition and position."""

    key: str
    status: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    text: list[TextChunk] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)


def _by_key(steps: Any) -> dict[str, tuple[int, dict[str, Any]]]:
    found: dict[str, tuple[int, dict[str, Any]]] = {}
    for position, raw in enumerate(steps if isinstance(steps, list) else [], start=1):
        if isinstance(raw, dict):
            key = str(raw.get("key") or f"#{position}")
            found.setdefault(key, (position, raw))
    return found


def text_diff(old: str, new: str) -> list[TextChunk]:
    """``old`` → ``new`` word by word (spaces kept), equal runs merged."""
    a, b = _WORDS.split(old), _WORDS.split(new)
    chunks: list[TextChunk] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            chunks.append(TextChunk("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            chunks.append(TextChunk("delete", "".join(a[i1:i2])))
        if j2 > j1:
            chunks.append(TextChunk("insert", "".join(b[j1:j2])))
    return chunks


def _answers(raw: dict[str, Any]) -> list[tuple[str, str]]:
    answers = raw.get("answers")
    return [
        (str(answer.get("label") or ""), str(answer.get("next") or ""))
        for answer in (answers if isinstance(answers, list) else [])
        if isinstance(answer, dict)
    ]


def _answer_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    before, after = _answers(old), _answers(new)
    changes: list[str] = []
    old_by_label, new_by_label = dict(before), dict(after)
    for label, target in after:
        if label not in old_by_label:
            changes.append(_("Answer “%(label)s” added, leading to “%(next)s”.") % {"label": label, "next": target})
        elif old_by_label[label] != target:
            changes.append(
                _("Answer “%(label)s” now leads to “%(next)s” (was “%(old)s”).")
                % {"label": label, "next": target, "old": old_by_label[label]}
            )
    for label, _target in before:
        if label not in new_by_label:
            changes.append(_("Answer “%(label)s” removed.") % {"label": label})
    if not changes and [label for label, _t in before] != [label for label, _t in after]:
        changes.append(_("Answers reordered."))
    return changes


def diff_steps(a: Any, b: Any) -> list[StepDiff]:
    """The steps of ``b`` in their order, each compared with the step of the same key in ``a``,
    then the steps of ``a`` that ``b`` no longer has (removed)."""
    old, new = _by_key(a), _by_key(b)
    result: list[StepDiff] = []
    for key, (position, raw) in new.items():
        if key not in old:
            result.append(StepDiff(key, ADDED, None, raw, text_diff("", str(raw.get("text") or ""))))
            continue
        old_position, old_raw = old[key]
        old_text, new_text = str(old_raw.get("text") or ""), str(raw.get("text") or "")
        changes = _answer_changes(old_raw, raw)
        old_disposition, new_disposition = str(old_raw.get("disposition") or ""), str(raw.get("disposition") or "")
        if old_disposition != new_disposition:
            changes.append(
                _("Suggested disposition: “%(old)s” → “%(new)s”.")
                % {"old": old_disposition or "—", "new": new_disposition or "—"}
            )
        if str(old_raw.get("title") or "") != str(raw.get("title") or ""):
            changes.append(
                _("Title: “%(old)s” → “%(new)s”.")
                % {"old": old_raw.get("title") or "—", "new": raw.get("title") or "—"}
            )
        if old_position != position:
            changes.append(_("Moved from position %(old)s to %(new)s.") % {"old": old_position, "new": position})
        status = CHANGED if changes or old_text != new_text else UNCHANGED
        result.append(StepDiff(key, status, old_raw, raw, text_diff(old_text, new_text), changes))
    for key, (_position, raw) in old.items():
        if key not in new:
            result.append(StepDiff(key, REMOVED, raw, None, text_diff(str(raw.get("text") or ""), "")))
    return result
