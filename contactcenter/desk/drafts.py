"""Drafts of the calls being worked: what the agent typed in the log and where they are in the
script, kept on the server (in the agent's session) as they go, so that a reload of the desktop
during a call loses neither. A saved log forgets its draft; at most a few calls are kept.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, QueryDict

SESSION_KEY = "call_drafts"
#: The log form's fields a draft keeps (the form checks them again when the log is saved).
LOG_FIELDS = (
    "disposition",
    "resolved",
    "notes",
    "ticket",
    "follow_up",
    "follow_up_subject",
    "follow_up_priority",
    "callback_date",
    "callback_time",
    "callback_phone",
    "callback_note",
)
BOOLEAN_FIELDS = frozenset({"resolved", "follow_up"})
#: A draft keeps what a form would: no field longer than this.
MAX_LENGTH = 20_000
#: Drafts of this many calls at most (the newest): a session is no archive.
MAX_DRAFTS = 5


def _drafts(request: HttpRequest) -> dict[str, dict[str, Any]]:
    drafts = request.session.get(SESSION_KEY)
    return drafts if isinstance(drafts, dict) else {}


def _store(request: HttpRequest, interaction_id: int, draft: dict[str, Any]) -> None:
    drafts = _drafts(request)
    drafts.pop(str(interaction_id), None)
    if draft:
        drafts[str(interaction_id)] = draft
    request.session[SESSION_KEY] = dict(list(drafts.items())[-MAX_DRAFTS:])


def draft_of(request: HttpRequest, interaction_id: int) -> dict[str, Any]:
    """The draft of the call (``{}`` without one): ``log`` (the log form's fields as typed) and
    ``step``/``trail`` (the script step shown and the steps before it)."""
    return dict(_drafts(request).get(str(interaction_id), {}))


def draft_save_log(request: HttpRequest, interaction_id: int, data: QueryDict) -> None:
    """Keeps the log form as typed (``data``: the form's fields; a checkbox not sent is unticked)."""
    log = {
        name: (name in data) if name in BOOLEAN_FIELDS else str(data.get(name, ""))[:MAX_LENGTH] for name in LOG_FIELDS
    }
    _store(request, interaction_id, {**draft_of(request, interaction_id), "log": log})


def draft_save_step(request: HttpRequest, interaction_id: int, *, step: str, trail: list[str]) -> None:
    """Keeps where the agent is in the call's script."""
    _store(request, interaction_id, {**draft_of(request, interaction_id), "step": step, "trail": list(trail)})


def draft_forget_log(request: HttpRequest, interaction_id: int) -> None:
    """The log was saved: what it holds is the record now."""
    draft = draft_of(request, interaction_id)
    if "log" in draft:
        draft.pop("log")
        _store(request, interaction_id, draft)


def draft_script_path(request: HttpRequest, interaction_id: int) -> list[str]:
    """The keys of the script steps the agent went through on the call, the step reached last
    (``[]`` when they never moved in the script)."""
    draft = draft_of(request, interaction_id)
    trail = [key for key in draft.get("trail") or [] if isinstance(key, str) and key]
    step = draft.get("step")
    return [*trail, step] if isinstance(step, str) and step else trail
