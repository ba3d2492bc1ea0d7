"""Chainable filters of the organisation, and what each user may see of it (SPEC §5, Access)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.db.models import Q

from contactcenter.core.access import can
from contactcenter.core.roles import AGENT, EVALUATORS_RELATION, MANAGERS_UP, QUALITY, SUPERVISOR, role_of, team_id_of


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

    def served_by_teams_evaluated_by(self, user: AbstractBaseUser) -> QueueQuerySet:
        """The queues some member of the teams assigned to the QA evaluator ``user`` serves."""
        return self.filter(**{f"agents__team__{EVALUATORS_RELATION}__user": user})

    def served_by_team(self, team_id: int | None) -> QueueQuerySet:
        """The queues some member of the team serves."""
        return self.filter(agents__team_id=team_id)


class AgentProfileQuerySet(models.QuerySet):
    def visible_to(self, user: AbstractBaseUser) -> AgentProfileQuerySet:
        """Agents see themselves; supervisors their team; QA evaluators the teams assigned to them;
        managers and admins everyone."""
        role = role_of(user)
        if role in MANAGERS_UP:
            return self
        if role == SUPERVISOR:
            return self.filter(Q(team_id=team_id_of(user)) | Q(user=user))
        if role == AGENT:
            return self.filter(user=user)
        if role == QUALITY:
            return self.filter(Q(**{f"team__{EVALUATORS_RELATION}__user": user}) | Q(user=user))
        return self.none()

    def evaluated_by(self, user: AbstractBaseUser) -> AgentProfileQuerySet:
        """The profiles of the teams assigned to the QA evaluator ``user`` (``quality.EvaluatorTeam``)."""
        return self.filter(**{f"team__{EVALUATORS_RELATION}__user": user})
