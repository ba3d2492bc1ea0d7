"""The roles (SPEC §1): who a user is in the center, read from their agent profile.

A read, not a service: every layer asks :func:`role_of` (the access policy, querysets' visibility,
the sockets), so it sits in the foundation beside the role names. The profile is reached through
the ``agent_profile`` relation of the user, without importing the organisation's models.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Admin")
    # QA evaluators: they score the interactions of the teams assigned to them, and read what
    # that needs; they take no contacts and change no customer, ticket or interaction.
    QUALITY = "quality", _("Quality evaluator")


AGENT, SUPERVISOR, MANAGER, ADMIN, QUALITY = Role.AGENT, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN, Role.QUALITY
EVERYONE = frozenset({AGENT, SUPERVISOR, MANAGER, ADMIN, QUALITY})
#: The roles that work contacts: they write customers, tickets and interactions (all but quality).
FRONT_LINE_UP = frozenset({AGENT, SUPERVISOR, MANAGER, ADMIN})
#: The roles that evaluate interactions (supervisors their team's, QA evaluators their teams').
EVALUATORS = frozenset({SUPERVISOR, MANAGER, ADMIN, QUALITY})
SUPERVISORS_UP = frozenset({SUPERVISOR, MANAGER, ADMIN})
MANAGERS_UP = frozenset({MANAGER, ADMIN})
ADMINS = frozenset({ADMIN})


#: The user's relation to their agent profile (``AgentProfile.user``'s ``related_name``).
PROFILE_RELATION = "agent_profile"


def profile_of(user: AbstractBaseUser) -> models.Model | None:
    """The user's agent profile with its team, ``None`` for an anonymous user or one without a profile.

    Read once per user object (one query, the team joined) and kept on it as the relation's own
    cache, so that every later ``user.agent_profile`` of the request (the role, the scope, the
    pages) reads nothing. A user loaded with ``select_related("agent_profile")`` reads nothing here.
    """
    if not user.is_authenticated:
        return None
    relation = user.__class__._meta.get_field(PROFILE_RELATION)  # a lazy request.user passes its class on
    if not relation.is_cached(user):
        profile = relation.related_model._default_manager.select_related("team").filter(user=user.pk).first()
        if profile is not None:
            relation.field.set_cached_value(profile, user)
        relation.set_cached_value(user, profile)
    return relation.get_cached_value(user)


def role_of(user: AbstractBaseUser) -> str | None:
    """The user's role: admin for a superuser, the profile's role otherwise, ``None`` without one."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    profile = profile_of(user)
    return profile.role if profile else None


#: The relation from a team to its QA evaluators' assignments (``quality.EvaluatorTeam.team``'s
#: ``related_name``): ``Team.objects.filter(**{f"{EVALUATORS_RELATION}__user": user})``.
EVALUATORS_RELATION = "quality_evaluators"


def team_id_of(user: AbstractBaseUser) -> int | None:
    """The id of the user's team, ``None`` without a profile or a team."""
    profile = profile_of(user)
    return profile.team_id if profile else None
