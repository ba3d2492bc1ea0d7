"""Telephony reads: what the bridges need to know of the center to read their phone system's events."""

from __future__ import annotations

from contactcenter.agents.models import AgentProfile


def agent_extensions() -> dict[str, str]:
    """Extension → username of every active agent having one, as set on the agent profiles
    (``1001``, ``PJSIP/1001``…). One query; a bridge keeps the answer a little while."""
    return dict(
        AgentProfile.objects.filter(user__is_active=True)
        .exclude(extension="")
        .order_by("pk")
        .values_list("extension", "user__username")
    )


def agent_usernames() -> frozenset[str]:
    """The usernames of the active agents (a phone system may name its agents after them). One query."""
    return frozenset(AgentProfile.objects.filter(user__is_active=True).values_list("user__username", flat=True))
