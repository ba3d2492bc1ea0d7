"""Telephony reads: what the bridges need to know of the center to read their phone system's events,
and the commands a user may follow."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from contactcenter.agents.models import AgentProfile
from contactcenter.telephony.models import Command


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


def commands_for(*, user: AbstractBaseUser) -> QuerySet[Command]:
    """The commands ``user`` may follow (:meth:`CommandQuerySet.visible_to`), newest first. Their
    answer reads no related row: one query per page."""
    return Command.objects.visible_to(user).order_by("-created_at", "-id")
