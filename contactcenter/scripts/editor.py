"""The admin's step editor: the draft as rows of form fields, and back.

Each step is a row: ``step-<i>-key``, ``-title``, ``-text``, ``-disposition``, ``-order`` (its
position; rows are sorted by it, ties keep their order), ``-delete``; its answers
``step-<i>-answer-<j>-label`` and ``-next`` (a select of the draft's step keys). There is always a
blank step row and two blank answer rows per step, so steps and answers are added by filling them
in; a blank row is left out. No JavaScript is needed (a small script of ours adds the move up and
down buttons).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

#: Blank answer rows shown under each step.
SPARE_ANSWERS = 2
#: Rows read from a POST at most (a form cannot grow the draft without bound).
MAX_ROWS = 200


@dataclass
class AnswerRow:
    label: str = ""
    next: str = ""


@dataclass
class StepRow:
    index: int
    key: str = ""
    title: str = ""
    text: str = ""
    disposition: str = ""
    answers: list[AnswerRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def is_blank(self) -> bool:
        return not (self.key or self.text or self.title or any(a.label or a.next for a in self.answers))


def _count(data: QueryDict, name: str) -> int:
    try:
        return max(0, min(int(data.get(name, "0")), MAX_ROWS))
    except ValueError:
        return 0


def steps_from_post(data: QueryDict) -> list[dict[str, Any]]:
    """The steps a POST of the editor describes: deleted and blank rows left out, rows in their
    ``order``, blank answers left out; only the keys of the step format are written."""
    rows: list[tuple[float, int, dict[str, Any]]] = []
    for i in range(_count(data, "step-count")):
        prefix = f"step-{i}-"
        if data.get(prefix + "delete"):
            continue
        answers = []
        for j in range(_count(data, prefix + "answer-count")):
            label = data.get(f"{prefix}answer-{j}-label", "").strip()
            target = data.get(f"{prefix}answer-{j}-next", "").strip()
            if label or target:
                answers.append({"label": label, "next": target})
        step: dict[str, Any] = {
            "key": data.get(prefix + "key", "").strip(),
            "text": data.get(prefix + "text", "").strip(),
            "answers": answers,
        }
        title = data.get(prefix + "title", "").strip()
        if title:
            step["title"] = title
        disposition = data.get(prefix + "disposition", "").strip()
        if disposition:
            step["disposition"] = disposition
        if not (step["key"] or step["text"] or title or answers):
            continue
        try:
            order = float(data.get(prefix + "order", "") or i + 1)
        except ValueError:
            order = float(i + 1)
        rows.append((order, i, step))
    return [step for _order, _i, step in sorted(rows, key=lambda row: (row[0], row[1]))]


def rows_for(steps: Any, problems_by_step: dict[str, list[str]] | None = None) -> list[StepRow]:
    """The editor's rows for ``steps`` (whatever JSON the draft holds), one blank row at the end."""
    problems_by_step = problems_by_step or {}
    rows: list[StepRow] = []
    for i, raw in enumerate(steps if isinstance(steps, list) else []):
        if not isinstance(raw, dict):
            continue
        answers = [
            AnswerRow(str(a.get("label") or ""), str(a.get("next") or ""))
            for a in (raw.get("answers") if isinstance(raw.get("answers"), list) else [])
            if isinstance(a, dict)
        ]
        key = str(raw.get("key") or "")
        rows.append(
            StepRow(
                index=len(rows),
                key=key,
                title=str(raw.get("title") or ""),
                text=str(raw.get("text") or ""),
                disposition=str(raw.get("disposition") or ""),
                answers=answers + [AnswerRow() for _ in range(SPARE_ANSWERS)],
                problems=problems_by_step.get(key or f"#{i + 1}", []),
            )
        )
    rows.append(StepRow(index=len(rows), answers=[AnswerRow() for _ in range(SPARE_ANSWERS)]))
    return rows
