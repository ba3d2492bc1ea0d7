"""The agents' open contacts, as the agent state machine reads them
(:mod:`contactcenter.agents.states`; ``docs/agent-states.md``).

The contacts that move an agent's state are the telephony system's calls (``interactions/cti.py``,
simulated calls included): a call offered to the agent and not taken yet (its ``CtiCall`` rings
for them), and a call they answered whose after-contact work is not over (busy until it ends,
then in wrap-up until ``wrapup_ended_at``). Registered once, from ``InteractionsConfig.ready``.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from contactcenter.agents.models import AgentProfile, Status
from contactcenter.agents.states import CurrentContact, OpenContacts
from contactcenter.core.compiled import CompiledRows
from interactions.models import CtiCall, Interaction
from interactions.selectors import agents_current_contacts
from interactions.services import interaction_lock, interaction_wrapup_end


def open_calls(*, agent_id: int):
    """The agent's answered calls whose after-contact work is not over (the partial index on
    ``(agent, answered_at)`` where ``wrapup_ended_at`` is null)."""
    return Interaction.objects.filter(
        agent_id=agent_id, answered_at__isnull=False, wrapup_ended_at__isnull=True, cti_call__isnull=False
    )


def _open_contacts_counts(agent_id: int) -> QuerySet:
    ringing = (
        CtiCall.objects.filter(presence_agent_id=agent_id, presence_status=Status.RINGING)
        .order_by()
        .values("presence_agent_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    calls = open_calls(agent_id=agent_id).order_by().values("agent_id")
    busy = calls.annotate(n=Count("pk", filter=Q(ended_at__isnull=True))).values("n")
    wrap_up = calls.annotate(n=Count("pk", filter=Q(ended_at__isnull=False))).values("n")
    return (
        AgentProfile.objects.filter(user_id=agent_id)
        .annotate(
            n_ringing=Coalesce(Subquery(ringing), 0),
            n_busy=Coalesce(Subquery(busy), 0),
            n_wrap_up=Coalesce(Subquery(wrap_up), 0),
        )
        .values_list("n_ringing", "n_busy", "n_wrap_up")
    )


#: An agent's open contacts, compiled once (:mod:`contactcenter.core.compiled`).
_OPEN_CONTACTS = CompiledRows(_open_contacts_counts, samples=[-7_000_031])


class CallContacts:
    """The :class:`~contactcenter.agents.states.ContactSource` of the telephony intake."""

    def open_contacts(self, *, agent_id: int) -> OpenContacts:
        """One query: the calls ringing for the agent, the calls they are on or wrapping up (three
        counts, each a subquery of the agent's profile row, read in one snapshot; compiled once,
        :data:`_OPEN_CONTACTS`: every status change reads them). An agent without a profile has
        none."""
        ringing_count, busy_count, wrap_up_count = next(iter(_OPEN_CONTACTS.fetch(agent_id)), (0, 0, 0))
        return OpenContacts(ringing=ringing_count, busy=busy_count, wrap_up=wrap_up_count)

    def end_wrapups(self, *, agent_id: int, at: datetime, by: AbstractBaseUser | None) -> int:
        """End the wrap-up of every call of the agent in after-contact work (oldest first, each row
        locked before the agent's profile), checking the queue's required wrap-up fields when ``by``
        is a person (``ValidationError`` then, and the caller's transaction ends nothing)."""
        ids = list(
            open_calls(agent_id=agent_id).filter(ended_at__isnull=False).order_by("pk").values_list("pk", flat=True)
        )
        for pk in ids:
            interaction_wrapup_end(interaction=interaction_lock(pk), by=by, at=at, ready=by is not None)
        return len(ids)

    def current_contacts(self, *, statuses: dict[int, str]) -> dict[int, CurrentContact]:
        """The agents' current calls: :func:`interactions.selectors.agents_current_contacts`."""
        return agents_current_contacts(statuses=statuses)
