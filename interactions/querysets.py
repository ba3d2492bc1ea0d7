"""Chainable interaction and ticket filters."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.db.models import Q
from django.utils import timezone

from contactcenter.agents.models import Queue, Team
from contactcenter.core.roles import AGENT, EVALUATORS_RELATION, MANAGERS_UP, QUALITY, SUPERVISOR, role_of, team_id_of

#: Tickets whose SLA clocks run: a pending ticket waits on the customer, its clocks are paused.
SLA_RUNNING_STATUSES = ("new", "open")


def overdue_q(now: datetime) -> Q:
    """The one definition of an overdue ticket: SLA running (new or open) and past its
    resolution due time, or past its first-response due time without a first response."""
    late = Q(resolution_due__lt=now) | Q(first_responded_at__isnull=True, first_response_due__lt=now)
    return Q(status__in=SLA_RUNNING_STATUSES) & late


def _evaluated_team_ids(user: AbstractBaseUser) -> models.QuerySet:
    """The ids of the teams assigned to the QA evaluator ``user``, as a subquery."""
    return Team.objects.filter(**{f"{EVALUATORS_RELATION}__user": user}).values("pk")


class InteractionQuerySet(models.QuerySet):
    def visible_to(self, user: AbstractBaseUser) -> InteractionQuerySet:
        """What ``user`` may see (SPEC §5, Access). Agents: their own and their queues'.
        Supervisors: their team's agents' and queues', and their own. QA evaluators: those of the
        agents of the teams assigned to them (``quality.EvaluatorTeam``). Managers and admins: all."""
        role = role_of(user)
        if role in MANAGERS_UP:
            return self
        if role == SUPERVISOR:
            team_id = team_id_of(user)
            return self.filter(
                Q(agent__agent_profile__team_id=team_id)
                | Q(queue_id__in=Queue.objects.served_by_team(team_id).values("pk"))
                | Q(agent=user)
            )
        if role == AGENT:
            return self.filter(Q(agent=user) | Q(queue_id__in=Queue.objects.served_by(user).values("pk")))
        if role == QUALITY:
            return self.filter(agent__agent_profile__team_id__in=_evaluated_team_ids(user))
        return self.none()

    def offered_between(self, start: datetime, end: datetime) -> InteractionQuerySet:
        """Interactions whose ``offered_at`` lies in ``[start, end)``."""
        return self.filter(offered_at__gte=start, offered_at__lt=end)

    def for_customer(self, customer) -> InteractionQuerySet:
        return self.filter(customer=customer)

    def with_relations(self) -> InteractionQuerySet:
        return self.select_related("customer", "agent", "queue", "disposition", "ticket", "script_version")


def ticket_surely_visible(user: AbstractBaseUser, ticket) -> bool:
    """Whether :meth:`TicketQuerySet.visible_to` holds ``ticket`` for ``user``, when that is known
    without a query: managers and admins see every ticket, agents and supervisors the ones assigned
    to them. ``False`` says nothing: ask the database."""
    role = role_of(user)
    return role in MANAGERS_UP or (role in (AGENT, SUPERVISOR) and ticket.assignee_id == user.pk)


class TicketQuerySet(models.QuerySet):
    def visible_to(self, user: AbstractBaseUser) -> TicketQuerySet:
        """What ``user`` may see (SPEC §5, Access). Agents: assigned to them or in their queues.
        Supervisors: their team's (by team, assignee or queue) and their own. QA evaluators (who
        read, never write them): those of the teams assigned to them. Managers and admins: all."""
        role = role_of(user)
        if role in MANAGERS_UP:
            return self
        if role == SUPERVISOR:
            team_id = team_id_of(user)
            return self.filter(
                Q(team_id=team_id)
                | Q(assignee__agent_profile__team_id=team_id)
                | Q(queue_id__in=Queue.objects.served_by_team(team_id).values("pk"))
                | Q(assignee=user)
            )
        if role == AGENT:
            return self.filter(Q(assignee=user) | Q(queue_id__in=Queue.objects.served_by(user).values("pk")))
        if role == QUALITY:
            teams = _evaluated_team_ids(user)
            return self.filter(Q(team_id__in=teams) | Q(assignee__agent_profile__team_id__in=teams))
        return self.none()

    def open(self) -> TicketQuerySet:
        return self.filter(status__in=("new", "open", "pending"))

    def for_queue(self, queue) -> TicketQuerySet:
        return self.filter(queue=queue)

    def overdue(self, now: datetime | None = None) -> TicketQuerySet:
        """Tickets past a due time while their SLA runs (see :func:`overdue_q`)."""
        return self.filter(overdue_q(now or timezone.now()))

    def with_relations(self) -> TicketQuerySet:
        return self.select_related("customer", "queue", "team", "assignee", "category", "sla_policy")
