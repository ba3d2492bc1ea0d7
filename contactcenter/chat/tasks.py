"""Background jobs of web chat (see :mod:`contactcenter.core.jobs`)."""

from __future__ import annotations

from contactcenter.chat.services import chats_close_idle
from contactcenter.core.jobs import Every, job

__all__ = ["chat_close_idle"]


@job(every=Every(minutes=5), retries=0)
def chat_close_idle() -> dict[str, int]:
    """End the chats left idle with the bot (:func:`chats_close_idle`): they count as started,
    and as contained by the bot. Runs twice safely: each chat is ended under its row lock, once."""
    return {"ended": len(chats_close_idle())}
