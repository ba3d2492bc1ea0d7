"""Live events of the organisation: an agent's presence, and changes to who sees what.

Published after commit through :mod:`contactcenter.core.events`; the shapes are described in
``docs/live.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save

from contactcenter.agents.models import AgentProfile, Queue, Team
from contactcenter.core.cached import cached_forget, cached_read
from contactcenter.core.events import (
    WALLBOARD_GROUP,
    Payload,
    agent_group,
    publish_on_commit,
    scope_changed_on_commit,
)

#: The cache group of the agents' teams and queues, as the wallboard's ``agent_status`` shows them
#: (:mod:`contactcenter.core.cached`): forgotten when a profile's team or queues change, or a team
#: or a queue (their names), or a profile comes or goes (:func:`memberships_changed`).
MEMBERSHIPS = "agent-memberships"


def _memberships(user_id: int) -> tuple[str | None, list[tuple[int, str]]] | None:
    profile = AgentProfile.objects.select_related("team").filter(user_id=user_id).first()
    if profile is None:
        return None
    return (profile.team.name if profile.team_id else None), list(
        profile.queues.order_by("name").values_list("pk", "name")
    )


def agent_status_extras(*, user_id: int) -> Payload:
    """What the wallboard's ``agent_status`` adds to a status change: team, queues, routing data.
    From the cache: no query while no team, queue or membership has changed (else two)."""
    found = cached_read(MEMBERSHIPS, str(user_id), lambda: _memberships(user_id))
    if found is None:
        return {"team": None, "queues": [], "_route": {"agent": user_id, "queues": []}}
    team, queues = found
    return {
        "team": team,
        "queues": [name for _pk, name in queues],
        "_route": {"agent": user_id, "queues": [pk for pk, _name in queues]},
    }


def memberships_changed(**kwargs: Any) -> None:
    """Receiver of what the agents' teams and queues are made of: every process reads them again."""
    if kwargs.get("action", "post_add") not in ("post_add", "post_remove", "post_clear"):
        return
    if kwargs.get("sender") is AgentProfile and not _scope_changed(kwargs.get("update_fields")):
        return  # a status change: the team and the queues stay
    cached_forget(MEMBERSHIPS)


def contact_payload(contact: Any) -> Payload | None:
    """The wallboard's ``contact`` of an agent (:class:`~contactcenter.agents.states.CurrentContact`)."""
    if contact is None:
        return None
    return {"queue": contact.queue, "channel": contact.channel, "since": contact.since.isoformat()}


def status_changed_on_commit(profile: AgentProfile, *, contact: Callable[..., Any] | None = None) -> None:
    """An agent's presence (or what waits for the end of their contact) changed: their own
    stream, and the wallboard (with the agent's team and queues, and the contact they are on:
    ``contact(user_id=…, status=…)``, read after commit; one more query on a contact only)."""
    payload = {
        "agent": profile.user.get_username(),
        "status": profile.status,
        "reason": profile.status_reason,
        "since": profile.status_since.isoformat(),
        # What waits for the end of the agent's contact (break, offline; null: available).
        "pending": profile.pending_status or None,
        "pending_reason": profile.pending_reason,
    }
    user_id, status = profile.user_id, profile.status
    publish_on_commit(event_type="status_changed", groups=[agent_group(user_id)], payload=payload)

    def board_payload() -> Payload:
        current = contact(user_id=user_id, status=status) if contact is not None else None
        return {**payload, **agent_status_extras(user_id=user_id), "contact": contact_payload(current)}

    publish_on_commit(event_type="agent_status", groups=[WALLBOARD_GROUP], payload=board_payload)


# --- Who may see what changed --------------------------------------------------------------------

_SCOPE_FIELDS_OF_PROFILE = frozenset({"role", "team", "team_id", "user", "user_id"})
_SCOPE_FIELDS_OF_USER = frozenset({"is_active", "is_superuser"})


def _scope_changed(update_fields: Any) -> bool:
    return update_fields is None or bool(_SCOPE_FIELDS_OF_PROFILE & set(update_fields))


def _profile_saved(sender, instance, created: bool = False, update_fields=None, **kwargs: Any) -> None:
    if _scope_changed(update_fields):
        scope_changed_on_commit(instance.user_id)


def _user_saved(sender, instance, created: bool = False, update_fields=None, **kwargs: Any) -> None:
    if not created and (update_fields is None or _SCOPE_FIELDS_OF_USER & set(update_fields)):
        scope_changed_on_commit(instance.pk)


def _profile_deleted(sender, instance, **kwargs: Any) -> None:
    scope_changed_on_commit(instance.user_id)


def _user_deleted(sender, instance, **kwargs: Any) -> None:
    scope_changed_on_commit(instance.pk)


def _queues_changed(sender, instance, action: str, reverse: bool, **kwargs: Any) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    # From the queue's side (queue.agents.add(...)) several agents may change at once.
    scope_changed_on_commit(None if reverse else instance.user_id)


def connect_signals() -> None:
    """Changes made anywhere (services, the admin, a shell) to what decides a socket's scope.

    Connected once, from ``AgentsConfig.ready``.
    """
    post_save.connect(_profile_saved, sender=AgentProfile, dispatch_uid="live_scope_profile_saved")
    post_delete.connect(_profile_deleted, sender=AgentProfile, dispatch_uid="live_scope_profile_deleted")
    post_save.connect(_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="live_scope_user_saved")
    post_delete.connect(_user_deleted, sender=settings.AUTH_USER_MODEL, dispatch_uid="live_scope_user_deleted")
    m2m_changed.connect(_queues_changed, sender=AgentProfile.queues.through, dispatch_uid="live_scope_queues_changed")
    # The wallboard's teams and queues of the agents, kept in the cache (agent_status_extras).
    for model in (AgentProfile, Team, Queue):
        post_save.connect(memberships_changed, sender=model, dispatch_uid=f"memberships_saved_{model.__name__}")
        post_delete.connect(memberships_changed, sender=model, dispatch_uid=f"memberships_deleted_{model.__name__}")
    m2m_changed.connect(
        memberships_changed, sender=AgentProfile.queues.through, dispatch_uid="memberships_queues_changed"
    )
