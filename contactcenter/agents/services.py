"""Every write on teams, queues, agents and presence."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from contactcenter.agents.models import AgentProfile, Queue, Role, Skill, Status, Team
from contactcenter.agents.roles import STAFF_ROLES, group_name
from contactcenter.agents.states import (  # noqa: F401 - the organisation's services, in one place
    SELF_SERVICE_STATUSES,
    SET_BY_OTHERS_STATUSES,
    agent_lock,
    agent_state_force,
    agent_state_request,
    agent_status_check,
)
from contactcenter.core.db import full_clean
from contactcenter.core.roles import role_of
from contactcenter.core.unset import UNSET, Unset, given

User = get_user_model()


@transaction.atomic
def team_create(*, name: str, description: str = "") -> Team:
    """Create a team; its name is unique."""
    team = Team(name=name.strip(), description=description)
    full_clean(team)
    team.save()
    return team


@transaction.atomic
def queue_create(
    *,
    name: str,
    channel: str = "voice",
    service_level_seconds: int = 20,
    service_level_target: float = 0.8,
    wrapup_limit_seconds: int | None = None,
    wrapup_requires_disposition: bool = True,
    wrapup_requires_notes: bool = False,
    skills: Iterable[Skill] = (),
    is_active: bool = True,
) -> Queue:
    """Create a queue with its service-level goal (default: 80 % answered within 20 s) and its
    wrap-up rules (default: no time limit, a disposition required, notes optional)."""
    queue = Queue(
        name=name.strip(),
        channel=channel,
        service_level_seconds=service_level_seconds,
        service_level_target=service_level_target,
        wrapup_limit_seconds=wrapup_limit_seconds,
        wrapup_requires_disposition=wrapup_requires_disposition,
        wrapup_requires_notes=wrapup_requires_notes,
        is_active=is_active,
    )
    full_clean(queue)
    queue.save()
    queue.skills.set(skills)
    return queue


def skills_get_or_create(*, names: Iterable[str]) -> list[Skill]:
    """The skills with these names, in order, creating the ones not seen before."""
    skills: list[Skill] = []
    for name in dict.fromkeys(n.strip() for n in names):
        if name:
            skills.append(Skill.objects.get_or_create(name=name)[0])
    return skills


@transaction.atomic
def queue_update(
    *,
    queue: Queue,
    name: str | Unset = UNSET,
    channel: str | Unset = UNSET,
    service_level_seconds: int | Unset = UNSET,
    service_level_target: float | Unset = UNSET,
    wrapup_limit_seconds: int | Unset | None = UNSET,
    wrapup_requires_disposition: bool | Unset = UNSET,
    wrapup_requires_notes: bool | Unset = UNSET,
    is_active: bool | Unset = UNSET,
    skills: Iterable[Skill] | None = None,
) -> Queue:
    """Change the queue's settings given (``UNSET``: unchanged) and, when given, its skills."""
    changes = given(
        {
            "name": name,
            "channel": channel,
            "service_level_seconds": service_level_seconds,
            "service_level_target": service_level_target,
            "wrapup_limit_seconds": wrapup_limit_seconds,
            "wrapup_requires_disposition": wrapup_requires_disposition,
            "wrapup_requires_notes": wrapup_requires_notes,
            "is_active": is_active,
        }
    )
    for field, value in changes.items():
        setattr(queue, field, value)
    full_clean(queue)
    queue.save()
    if skills is not None:
        queue.skills.set(skills)
    return queue


def agent_check_update(*, by: AbstractBaseUser | None, profile: AgentProfile) -> None:
    """Refuse a change of what is provisioned on an agent (role, team, queues, skills, whether
    they may sign in) by anyone but an admin (``by`` None: the system): ``PermissionDenied``.

    A supervisor's reach is their team: moving an agent (or themselves) to another team, or into
    other queues, would widen what they and the agent see. Supervisors, managers and admins set
    an agent offline or on a break through :func:`agent_set_status`, whose rules say whose.
    """
    if by is not None and role_of(by) != Role.ADMIN:
        raise PermissionDenied(
            _("Only an admin can change an agent's role, team, queues, skills or whether they may sign in.")
        )


@transaction.atomic
def agent_update(
    *,
    profile: AgentProfile,
    by: AbstractBaseUser | None = None,
    role: str | None = None,
    team: Team | Unset | None = UNSET,
    queues: Iterable[Queue] | None = None,
    skills: Iterable[Skill] | None = None,
    is_active: bool | None = None,
    extension: str | None = None,
) -> AgentProfile:
    """Change what an admin provisions on an agent; ``None`` (``team``: not given) keeps a value.

    ``by`` is the person asking: an admin (:func:`agent_check_update`); ``None`` is the system.
    ``extension``: the agent's phone on the telephony system (blank: none), see
    :func:`agent_extension_check`.
    """
    agent_check_update(by=by, profile=profile)
    if extension is not None:
        extension = agent_extension_check(extension=extension, profile=profile)
        if extension != profile.extension:
            profile.extension = extension
            try:
                with transaction.atomic():  # two admins giving the same one at once: the constraint says no
                    profile.save(update_fields=["extension", "updated_at"])
            except IntegrityError as error:
                raise ValidationError({"extension": [_("Another agent has this extension.")]}) from error
    if role is not None and role != profile.role:
        agent_set_role(profile=profile, role=role)
    if team is not UNSET:
        profile.team = team
        full_clean(profile)
        profile.save(update_fields=["team", "updated_at"])
    if queues is not None:
        profile.queues.set(queues)
    if skills is not None:
        profile.skills.set(skills)
    if is_active is not None and is_active != profile.user.is_active:
        profile.user.is_active = is_active
        profile.user.save(update_fields=["is_active"])
        if not is_active:
            agent_set_status(profile=profile, status=Status.OFFLINE)
            profile.refresh_from_db()
    return profile


def _apply_role(user: AbstractBaseUser, role: str) -> None:
    role_groups = Group.objects.filter(name__in=[group_name(r) for r in Role.values])
    user.groups.remove(*role_groups)
    user.groups.add(Group.objects.get(name=group_name(role)))
    user.is_staff = user.is_superuser or role in STAFF_ROLES


def _queues_named(queues: Iterable[Queue | str]) -> tuple[list[Queue], list[str]]:
    """The queues given as objects or by name, in order, and the names that match no queue."""
    wanted = list(dict.fromkeys(queues))
    found = Queue.objects.in_bulk([queue for queue in wanted if isinstance(queue, str)], field_name="name")
    result: list[Queue] = []
    unknown: list[str] = []
    for queue in wanted:
        if not isinstance(queue, str):
            result.append(queue)
        elif queue in found:
            result.append(found[queue])
        else:
            unknown.append(queue)
    return result, unknown


def _skills_named(skills: Iterable[Skill | str]) -> list[Skill]:
    """The skills given as objects or by name, in order; a name not seen before becomes a skill."""
    wanted = [skill.strip() if isinstance(skill, str) else skill for skill in skills]
    wanted = [skill for skill in wanted if skill != ""]
    named = {skill.name: skill for skill in skills_get_or_create(names=[s for s in wanted if isinstance(s, str)])}
    return list(dict.fromkeys(named[skill] if isinstance(skill, str) else skill for skill in wanted))


@transaction.atomic
def agent_provision(
    *,
    username: str,
    password: str | None,
    role: str = Role.AGENT,
    team: Team | None = None,
    queues: Iterable[Queue | str] = (),
    skills: Iterable[Skill | str] = (),
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    extension: str = "",
    validate: bool = True,
) -> AgentProfile:
    """Provision an agent in one transaction: the user, its agent profile with ``team``, its role
    group and staff flag, its ``queues`` and ``skills``. What the API (``POST agents/``) and the
    admin (adding a user with their agent profile) both do.

    Queues and skills come as objects or by name: a queue name must exist, a skill name not seen
    before becomes a new skill. The password goes through Django's validators unless ``validate``
    is off (demo data only); ``None`` gives an unusable password (the admin's "password-based
    authentication: disabled"). Everything that can be checked is checked before anything is
    written, and one ``ValidationError`` names every bad field (``username``, ``password``,
    ``role``, ``queues``, …); whatever fails after that (a role group missing) undoes everything,
    the skills created included: nothing is left half-written.
    """
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    errors: dict[str, list[str]] = {}
    try:
        full_clean(user, exclude=["password"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if role not in Role.values:
        errors["role"] = [_("Choose one of: %(roles)s.") % {"roles": ", ".join(Role.values)}]
    if validate and password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = exc.messages
    try:
        extension = agent_extension_check(extension=extension)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    queue_list, unknown_queues = _queues_named(queues)
    if unknown_queues:
        errors["queues"] = [
            _("No queue is named %(names)s.") % {"names": ", ".join(f"“{name}”" for name in unknown_queues)}
        ]
    if errors:
        raise ValidationError(errors)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    profile = AgentProfile(user=user, role=role, team=team, extension=extension)
    full_clean(profile)
    profile.save()
    profile.queues.set(queue_list)
    profile.skills.set(_skills_named(skills))
    _apply_role(user, role)
    user.save(update_fields=["is_staff"])
    return profile


#: What an extension may look like: a PBX's name for a phone (1001, PJSIP/1001, user/1001@pbx).
_EXTENSION = re.compile(r"^[A-Za-z0-9*#/_.@+-]{1,40}$")


def agent_extension_check(*, extension: str, profile: AgentProfile | None = None) -> str:
    """``extension`` as stored (trimmed; blank: none), or ``ValidationError`` naming ``extension``
    when it is not one or another agent has it (one query when given). The unique constraint in
    the database stays the last line against two admins giving the same one at once."""
    extension = extension.strip()
    if not extension:
        return ""
    if not _EXTENSION.match(extension):
        raise ValidationError(
            {"extension": [_("An extension is up to 40 letters, digits and * # / _ . @ + - (1001, PJSIP/1001).")]}
        )
    others = AgentProfile.objects.filter(extension=extension)
    if profile is not None:
        others = others.exclude(pk=profile.pk)
    holder = others.select_related("user").first()
    if holder is not None:
        raise ValidationError(
            {
                "extension": [
                    _("Extension %(extension)s is already %(username)s's.")
                    % {"extension": extension, "username": holder.user.username}
                ]
            }
        )
    return extension


@transaction.atomic
def agent_set_role(*, profile: AgentProfile, role: str) -> AgentProfile:
    """Change an agent's role, moving them to the role's group (and staff flag)."""
    if role not in Role.values:
        raise ValidationError({"role": _("Choose one of: %(roles)s.") % {"roles": ", ".join(Role.values)}})
    profile.role = role
    full_clean(profile)
    profile.save(update_fields=["role", "updated_at"])
    _apply_role(profile.user, role)
    profile.user.save(update_fields=["is_staff"])
    return profile


def agent_set_status(
    *,
    profile: AgentProfile,
    status: str,
    reason: str = "",
    at: datetime | None = None,
    by: AbstractBaseUser | None = None,
) -> AgentProfile:
    """Ask for ``status`` for ``profile``'s agent through the state machine
    (:mod:`contactcenter.agents.states`); returns the profile as saved, its user read with it.

    ``by`` is the person asking (the agent, a supervisor, …): their request follows
    :func:`~contactcenter.agents.states.agent_status_check` and waits for the end of the agent's
    contact when they are on one (:func:`~contactcenter.agents.states.agent_state_request`, which
    also says whether it waited). ``None`` is the system overriding the contacts
    (:func:`~contactcenter.agents.states.agent_state_force`): an account deactivated, data set up.
    A break carries a reason code; any other status carries none. Setting the current status again
    (same reason) changes nothing.
    """
    if by is not None:
        return agent_state_request(profile=profile, status=status, reason=reason, by=by, at=at).profile
    return agent_state_force(profile=profile, status=status, reason=reason, at=at)
