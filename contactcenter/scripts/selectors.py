"""Reads on call scripts: walking a published version step by step, as the agent desktop does.

A version's ``steps`` are a list of ``{"key", "text", "answers": [{"label", "next"}], "disposition"?}``:
the first step is the start; an answer leads to the step named by its ``next``; a step without
answers ends the script, and may suggest a disposition code for the log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from contactcenter.scripts.models import ScriptVersion

#: ``{first_name}`` and the like in a step's text; unknown names are left as typed.
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
#: A trail longer than this is cut (a loop in a script must not grow a URL for ever).
MAX_TRAIL = 50


@dataclass(frozen=True)
class ScriptStep:
    key: str
    text: str
    answers: list[dict[str, str]] = field(default_factory=list)
    disposition: str = ""

    @property
    def is_end(self) -> bool:
        return not self.answers


def _step(raw: dict[str, Any], values: dict[str, str]) -> ScriptStep:
    answers = [
        {"label": str(answer.get("label", "")), "next": str(answer.get("next", ""))}
        for answer in raw.get("answers") or []
        if isinstance(answer, dict)
    ]
    return ScriptStep(
        key=str(raw.get("key", "")),
        text=fill_placeholders(str(raw.get("text", "")), values),
        answers=answers,
        disposition=str(raw.get("disposition") or ""),
    )


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """``text`` with each ``{name}`` replaced by ``values[name]`` when it is known and not blank."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1)) or match.group(0), text)


def placeholder_values(*, customer: Any | None, agent: AbstractBaseUser | None) -> dict[str, str]:
    """What a step's placeholders may name: the caller's names and company, the agent's first name."""
    values: dict[str, str] = {}
    if customer is not None:
        values.update(
            first_name=customer.first_name,
            last_name=customer.last_name,
            customer=f"{customer.first_name} {customer.last_name}".strip(),
            company=customer.company,
        )
    if agent is not None:
        values["agent"] = agent.first_name or agent.get_username()
    return values


def script_step(*, version: ScriptVersion, key: str | None, values: dict[str, str]) -> ScriptStep | None:
    """The step ``key`` of ``version`` (the start step when ``key`` is empty), placeholders filled;
    ``None`` when the version has no such step."""
    steps = [raw for raw in version.steps if isinstance(raw, dict)] if isinstance(version.steps, list) else []
    if not steps:
        return None
    if not key:
        return _step(steps[0], values)
    raw = next((raw for raw in steps if str(raw.get("key", "")) == key), None)
    return _step(raw, values) if raw is not None else None


def parse_trail(raw: str) -> list[str]:
    """The keys of the steps walked so far, from a comma-separated query parameter."""
    return [key for key in raw.split(",") if key][-MAX_TRAIL:]
