"""The access policy (SPEC §5, Access): one place that says who sees and does what.

Every list, detail, search, export and socket goes through these functions, so that an object a
user may not see is simply absent from their querysets and answers 404, never 403.

- agents read customers, their own and their queues' tickets and interactions, scripts,
  knowledge; they write interactions, tickets, comments, surveys and their own status;
- supervisors also read their team's agents, tickets, interactions and KPIs and reassign within
  the team;
- managers and admins read everything; managers write scripts and training; admins provision
  users, teams, queues and answer data-protection requests.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from contactcenter.agents.models import AgentProfile, Queue, Role, Team
from contactcenter.agents.services import role_of
from customers.models import Customer
from interactions.models import Interaction, Ticket

AGENT, SUPERVISOR, MANAGER, ADMIN = Role.AGENT, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN
EVERYONE = frozenset({AGENT, SUPERVISOR, MANAGER, ADMIN})
SUPERVISORS_UP = frozenset({SUPERVISOR, MANAGER, ADMIN})
MANAGERS_UP = frozenset({MANAGER, ADMIN})
ADMINS = frozenset({ADMIN})

#: action → roles allowed to attempt it (the object must also be visible to the user).
ACTIONS: dict[str, frozenset[str]] = {
    "customer.read": EVERYONE,
    "customer.write": EVERYONE,
    "customer.merge": SUPERVISORS_UP,
    "customer.delete": ADMINS,
    "customer.export": ADMINS,
    "customer.erase": ADMINS,
    "organisation.read": EVERYONE,
    "team.write": ADMINS,
    "queue.write": ADMINS,
    "agent.read": EVERYONE,
    "agent.provision": ADMINS,
    "status.write_own": EVERYONE,
    "ticket.read": EVERYONE,
    "ticket.write": EVERYONE,
    "ticket.reassign": SUPERVISORS_UP,
    "interaction.read": EVERYONE,
    "interaction.write": EVERYONE,
    "survey.write": EVERYONE,
    "kpi.read": EVERYONE,
    "kpi.read_all": MANAGERS_UP,
    "staffing.read": SUPERVISORS_UP,
    "script.read": EVERYONE,
    # Everyone reads published knowledge articles; those who write them read drafts too.
    "knowledge.read": EVERYONE,
    "knowledge.write": MANAGERS_UP,
    # Everyone takes the training assigned to them and reads their own progress; supervisors see
    # their team's progress; managers and admins write the material and see everyone's.
    "training.read": EVERYONE,
    "training.progress": SUPERVISORS_UP,
    "training.write": MANAGERS_UP,
    # The pages (contactcenter/desk): the desktop for every role, the wallboard and the simulated
    # call (a training and demo aid that goes through the real CTI intake) for supervisors and up.
    "desk.open": EVERYONE,
    "wallboard.open": SUPERVISORS_UP,
    "call.simulate": SUPERVISORS_UP,
    "script.write": MANAGERS_UP,
    # The telephony system posts call events with an integration account: a user with the admin or
    # manager role (SPEC §5, "integration accounts are users with a role too"). Agents and
    # supervisors may not: a call event moves an agent's presence and makes interactions.
    "cti.post": MANAGERS_UP,
}


def can(user: AbstractBaseUser, action: str) -> bool:
    """Whether the user's role allows ``action`` (see ``ACTIONS``)."""
    role = role_of(user)
    return role is not None and role in ACTIONS[action]


def _profile(user: AbstractBaseUser) -> AgentProfile | None:
    return getattr(user, "agent_profile", None)


def _team_id(user: AbstractBaseUser) -> int | None:
    profile = _profile(user)
    return profile.team_id if profile else None


def _own_queue_ids(user: AbstractBaseUser) -> QuerySet:
    return Queue.objects.filter(agents__user=user).values("pk")


def _team_queue_ids(team_id: int | None) -> QuerySet:
    return Queue.objects.filter(agents__team_id=team_id).values("pk")


def customers_for(user: AbstractBaseUser) -> QuerySet[Customer]:
    """Every role reads customers; a user without a role reads none."""
    return Customer.objects.all() if can(user, "customer.read") else Customer.objects.none()


def tickets_for(user: AbstractBaseUser) -> QuerySet[Ticket]:
    """Agents: assigned to them or in their queues. Supervisors: their team's (by team, assignee
    or queue). Managers and admins: all."""
    role = role_of(user)
    if role in MANAGERS_UP:
        return Ticket.objects.all()
    if role == SUPERVISOR:
        team_id = _team_id(user)
        return Ticket.objects.filter(
            Q(team_id=team_id)
            | Q(assignee__agent_profile__team_id=team_id)
            | Q(queue_id__in=_team_queue_ids(team_id))
            | Q(assignee=user)
        )
    if role == AGENT:
        return Ticket.objects.filter(Q(assignee=user) | Q(queue_id__in=_own_queue_ids(user)))
    return Ticket.objects.none()


def interactions_for(user: AbstractBaseUser) -> QuerySet[Interaction]:
    """Agents: their own and their queues'. Supervisors: their team's agents' and queues'.
    Managers and admins: all."""
    role = role_of(user)
    if role in MANAGERS_UP:
        return Interaction.objects.all()
    if role == SUPERVISOR:
        team_id = _team_id(user)
        return Interaction.objects.filter(
            Q(agent__agent_profile__team_id=team_id) | Q(queue_id__in=_team_queue_ids(team_id)) | Q(agent=user)
        )
    if role == AGENT:
        return Interaction.objects.filter(Q(agent=user) | Q(queue_id__in=_own_queue_ids(user)))
    return Interaction.objects.none()


def agents_for(user: AbstractBaseUser) -> QuerySet[AgentProfile]:
    """Agents see themselves; supervisors their team; managers and admins everyone."""
    role = role_of(user)
    if role in MANAGERS_UP:
        return AgentProfile.objects.all()
    if role == SUPERVISOR:
        return AgentProfile.objects.filter(Q(team_id=_team_id(user)) | Q(user=user))
    if role == AGENT:
        return AgentProfile.objects.filter(user=user)
    return AgentProfile.objects.none()


def teams_for(user: AbstractBaseUser) -> QuerySet[Team]:
    return Team.objects.all() if can(user, "organisation.read") else Team.objects.none()


def queues_for(user: AbstractBaseUser) -> QuerySet[Queue]:
    return Queue.objects.all() if can(user, "organisation.read") else Queue.objects.none()
