"""Chainable filters of the telephony's models."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.db.models import Q

from contactcenter.core.roles import AGENT, MANAGERS_UP, SUPERVISOR, role_of, team_id_of


class CommandQuerySet(models.QuerySet):
    def visible_to(self, user: AbstractBaseUser) -> CommandQuerySet:
        """The commands ``user`` may follow. Agents: those they asked for or that act for them
        (their own phone). Supervisors: also their team's agents'. Managers and admins: all."""
        role = role_of(user)
        if role in MANAGERS_UP:
            return self
        own = Q(requested_by=user) | Q(agent__user=user)
        if role == SUPERVISOR:
            team_id = team_id_of(user)
            return self.filter(own | Q(agent__team_id=team_id)) if team_id is not None else self.filter(own)
        if role == AGENT:
            return self.filter(own)
        return self.none()
