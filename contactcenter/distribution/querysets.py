"""Chainable filters of the routing's models."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.db.models import Q

from contactcenter.agents.models import Queue
from contactcenter.core.roles import AGENT, MANAGERS_UP, SUPERVISOR, role_of, team_id_of


class CallbackQuerySet(models.QuerySet):
    def visible_to(self, user: AbstractBaseUser) -> CallbackQuerySet:
        """What ``user`` may see (as for interactions). Agents: those they promised and their
        queues'. Supervisors: those their team's agents promised, their team's queues', and their
        own. Managers and admins: all."""
        role = role_of(user)
        if role in MANAGERS_UP:
            return self
        if role == SUPERVISOR:
            team_id = team_id_of(user)
            return self.filter(
                Q(promised_by__agent_profile__team_id=team_id)
                | Q(queue_id__in=Queue.objects.served_by_team(team_id).values("pk"))
                | Q(promised_by=user)
            )
        if role == AGENT:
            return self.filter(Q(promised_by=user) | Q(queue_id__in=Queue.objects.served_by(user).values("pk")))
        return self.none()
