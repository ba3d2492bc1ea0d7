"""Reads on call scripts: walking a published version step by step, as the agent desktop does;
the scripts and versions a user may read (:func:`script_list`,
:func:`script_versions`) and the comparison of two versions (:func:`script_diff`).

A version's ``steps`` are a list of ``{"key", "text", "answers": [{"label", "next"}], "disposition"?}``:
the first step is the start; an answer leads to the step named by its ``next``; a step without
answers ends the script, and may suggest a disposition code for the log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Max, Prefetch, QuerySet

from contactcenter.agents.models import Queue
from contactcenter.core.cached import cached_forget, cached_read
from contactcenter.scripts.diff import StepDiff, diff_steps
from contactcenter.scripts.models import Script, ScriptVersion

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


# --- Reads for the back office and the API ------------------------------------------------------


def script_list(*, user: AbstractBaseUser, queue: str | None = None) -> QuerySet[Script]:
    """:meth:`Script.objects.visible_to` ``user``, by name, each annotated with ``latest_number`` (its newest
    published version's number, ``None`` before the first), queues prefetched; ``queue``: only the
    scripts of the queue of that name."""
    queryset = Script.objects.visible_to(user)
    if queue:
        queryset = queryset.filter(queues__name=queue)
    return (
        queryset.annotate(latest_number=Max("versions__number"))
        .prefetch_related(Prefetch("queues", queryset=Queue.objects.order_by("name")))
        .order_by("name", "pk")
    )


def script_versions(*, script: Script) -> QuerySet[ScriptVersion]:
    """The script's published versions, newest first, with who published them."""
    return ScriptVersion.objects.filter(script=script).select_related("script", "published_by").order_by("-number")


def steps_of(source: ScriptVersion | Script | list[Any]) -> list[Any]:
    """The steps of a version, of a script's draft, or a list of steps as it is."""
    if isinstance(source, ScriptVersion):
        return source.steps if isinstance(source.steps, list) else []
    if isinstance(source, Script):
        return source.draft if isinstance(source.draft, list) else []
    return source if isinstance(source, list) else []


def script_diff(a: ScriptVersion | Script | list[Any], b: ScriptVersion | Script | list[Any]) -> list[StepDiff]:
    """How ``b`` differs from ``a`` step by step (a :class:`Script` stands for its draft): see
    :func:`contactcenter.scripts.diff.diff_steps`. No query."""
    return diff_steps(steps_of(a), steps_of(b))


# --- The script of a call -----------------------------------------------------------------------


#: The cache group of the queues' published scripts (:mod:`contactcenter.core.cached`).
PUBLISHED_SCRIPTS = "published_scripts"


def published_script(*, queue_id: int | None) -> ScriptVersion | None:
    """The queue's published script: the newest version of an active script linked to the queue.
    Kept in the cache, so no query while no script has changed (:func:`scripts_changed`)."""
    if queue_id is None:
        return None
    return cached_read(
        PUBLISHED_SCRIPTS,
        str(int(queue_id)),
        lambda: (
            ScriptVersion.objects.filter(script__queues=queue_id, script__is_active=True)
            .select_related("script")
            .order_by("-published_at", "-pk")
            .first()
        ),
    )


def scripts_changed(**kwargs: object) -> None:
    """Receiver of the scripts', their versions' and their queues' changes: every process reads the
    queues' published scripts again."""
    cached_forget(PUBLISHED_SCRIPTS)


def call_script(*, interaction: Any) -> ScriptVersion | None:
    """The script of a contact: the version recorded on it (the agent walked it), else its queue's
    published one. The one rule for the screen pop on the socket and on the desktop."""
    return interaction.script_version or published_script(queue_id=interaction.queue_id)
