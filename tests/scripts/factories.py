"""Call scripts for tests: a branching script in the real step format, published or not."""

from __future__ import annotations

import copy
from typing import Any

from contactcenter.scripts.models import Script, ScriptVersion
from contactcenter.scripts.services import script_create, script_publish

#: greeting → (billing | other) → closing: a start, a branch, two ends.
BRANCHING: list[dict[str, Any]] = [
    {
        "key": "greeting",
        "text": "Hello {first_name}, this is {agent}. How can I help?",
        "answers": [{"label": "Invoice", "next": "billing"}, {"label": "Something else", "next": "other"}],
    },
    {"key": "billing", "text": "Let me open your last invoice.", "answers": [{"label": "Done", "next": "closing"}]},
    {"key": "other", "text": "I note your question.", "answers": [], "disposition": "callback"},
    {"key": "closing", "text": "Thank you for calling.", "answers": [], "disposition": "resolved"},
]


def steps(**changes: Any) -> list[dict[str, Any]]:
    """A fresh copy of :data:`BRANCHING`."""
    return copy.deepcopy(BRANCHING)


def make_script(*, name: str = "Billing", queues=(), draft: list[dict[str, Any]] | None = None, by=None) -> Script:
    return script_create(name=name, queues=queues, draft=steps() if draft is None else draft, by=by)


def make_published(*, name: str = "Billing", queues=(), by=None, versions: int = 1) -> tuple[Script, ScriptVersion]:
    script = make_script(name=name, queues=queues, by=by)
    version = None
    for _ in range(versions):
        version = script_publish(script=script, by=by)
    return script, version
