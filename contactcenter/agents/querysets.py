"""Chainable filters of the organisation, and what each user may see of it (SPEC §5, Access)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.db.models import Q

from contactcenter.core.access import can
from contactcenter.core.roles import AGENT, MANAGERS_UP, SUPERVISOR, role_of, team_id_of


class TeamQuerySet(models.QuerySet):
    def visible_to(self, user: AbstractBaseUser) -> TeamQuerySet:
        """Every role reads the teams; a user without a role reads none."""
        return self if can(user, "organisation.read") else self.none()


class QueueQuerySet(models.QuerySet):
    def visible_to(self, user: AbstractBaseUser) -> QueueQuerySet:
        """Every role reads the queues; a user without a role reads none."""
        return self if can(user, "organisation.read") else self.none()

    def served_by(self, user: AbstractBaseUser) -> QueueQuerySet:
        """The queues ``user`` is a member of."""
        return self.filter(agents__user=user)

    def served_by_team(self, team_id: int | None) -> QueueQuerySet:
        """The queues some member of the team serves."""
        return self.filter(agents__team_id=team_id)


class AgentProfileQuerySet(models.QuerySet):
    def visible_to(self, user: AbstractBaseUser) -> AgentProfileQuerySet:
        """Agents see themselves; supervisors their team; managers and admins everyone."""
        role = role_of(user)
        if role in MANAGERS_UP:
            return self
        if role == SUPERVISOR:
            return self.filter(Q(team_id=team_id_of(user)) | Q(user=user))
        if role == AGENT:
            return self.filter(user=user)
        return self.none()
