"""The organisation phase: teams, skills, queues, staff accounts and the published call script
(two versions), looked up by name and created through the services when missing, so that a
second run changes nothing; and :class:`Center`, the rows the other phases refer to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from contactcenter.agents.models import Queue, Role, Skill, Team
from contactcenter.agents.services import agent_provision, queue_create, team_create
from contactcenter.demo.errors import DemoError
from contactcenter.demo.result import Login, count
from contactcenter.demo.simulator.center import (
    DEMO_PASSWORD,
    QUEUES,
    SCRIPT_DESCRIPTION,
    SCRIPT_NAME,
    SCRIPT_STEPS,
    SCRIPT_STEPS_V2,
    SKILLS,
    STAFF,
    TEAMS,
    VOICE_QUEUES,
    StaffSpec,
)
from contactcenter.demo.writer.bulk import keep_given_timestamps
from contactcenter.scripts.models import Script, ScriptVersion
from interactions.models import Disposition, TicketCategory

User = get_user_model()


@dataclass
class Center:
    """The rows the generated activity refers to."""

    teams: dict[str, Team]
    queues: dict[str, Queue]
    users: dict[str, AbstractBaseUser]
    script_version: ScriptVersion
    dispositions: dict[str, Disposition]
    categories: dict[str, TicketCategory]
    #: The script's second version, followed by the calls offered after it was published.
    script_version_2: ScriptVersion | None = None

    def script_version_at(self, offered: datetime) -> ScriptVersion:
        """The version of the script a call offered at ``offered`` followed."""
        second = self.script_version_2
        return second if second is not None and offered >= second.published_at else self.script_version

    @property
    def resolving(self) -> frozenset[str]:
        """The codes of the active dispositions that resolve a contact (what the simulator needs)."""
        return frozenset(code for code, disposition in self.dispositions.items() if disposition.resolves)


def ensure_center(*, now: datetime, days: int, logins: list[Login], created: dict[str, int]) -> Center:
    """Get or create the teams, skills, queues, staff accounts and the published call script.

    Existing rows are left as they are (a queue of the demo's name on another channel is an
    error: the demo would put calls in it). Accounts get :data:`DEMO_PASSWORD`. What is created
    is counted in ``created``; every account is listed in ``logins``.
    """
    teams = _teams(created)
    skills = _skills(created)
    queues = _queues(skills, created)
    users = {spec.username: _user(spec, teams, queues, skills, logins, created) for spec in STAFF}
    version, second = _script(queues, users["manager"], now=now, days=days, created=created)
    return Center(
        teams=teams,
        queues=queues,
        users=users,
        script_version=version,
        script_version_2=second,
        dispositions={d.code: d for d in Disposition.objects.filter(is_active=True)},
        categories={c.name: c for c in TicketCategory.objects.filter(is_active=True)},
    )


def _teams(created: dict[str, int]) -> dict[str, Team]:
    teams: dict[str, Team] = {}
    for name, description in TEAMS:
        team = Team.objects.filter(name=name).first()
        if team is None:
            team = team_create(name=name, description=description)
            count(created, "teams")
        teams[name] = team
    return teams


def _skills(created: dict[str, int]) -> dict[str, Skill]:
    skills: dict[str, Skill] = {}
    for name in SKILLS:
        skill = Skill.objects.filter(name=name).first()
        if skill is None:
            # No skill service yet (STYLE principle 1): validate, then save, as a service would.
            skill = Skill(name=name)
            skill.full_clean()
            skill.save()
            count(created, "skills")
        skills[name] = skill
    return skills


def _queues(skills: dict[str, Skill], created: dict[str, int]) -> dict[str, Queue]:
    queues: dict[str, Queue] = {}
    for spec in QUEUES:
        queue = Queue.objects.filter(name=spec.name).first()
        if queue is None:
            queue = queue_create(
                name=spec.name,
                channel=spec.channel,
                service_level_seconds=spec.service_level_seconds,
                service_level_target=spec.service_level_target,
                skills=[skills[s] for s in spec.skills],
            )
            count(created, "queues")
        elif queue.channel != spec.channel:
            raise DemoError(
                _("The queue “%(name)s” exists on the %(channel)s channel; the demo needs it on %(wanted)s.")
                % {"name": spec.name, "channel": queue.channel, "wanted": spec.channel}
            )
        queues[spec.name] = queue
    return queues


def _user(
    spec: StaffSpec,
    teams: dict[str, Team],
    queues: dict[str, Queue],
    skills: dict[str, Skill],
    logins: list[Login],
    created: dict[str, int],
) -> AbstractBaseUser:
    """The account of ``spec``, created with its profile when missing."""
    user = User.objects.filter(username=spec.username).first()
    is_new = user is None
    if user is None:
        profile = agent_provision(
            username=spec.username,
            password=DEMO_PASSWORD,
            role=spec.role,
            team=teams[spec.team] if spec.team else None,
            queues=[queues[q] for q in spec.queues],
            skills=[skills[s] for s in spec.skills],
            first_name=spec.first_name,
            last_name=spec.last_name,
            email=f"{spec.username}@switchboard.example",
            extension=spec.extension,
            validate=False,
        )
        user = profile.user
        if spec.superuser:
            # agent_provision provisions roles, not superusers; the admin account is both.
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        count(created, "users")
    logins.append(Login(spec.username, str(Role(spec.role).label), spec.team or "", is_new))
    return user


def _script(
    queues: dict[str, Queue], manager: AbstractBaseUser, *, now: datetime, days: int, created: dict[str, int]
) -> tuple[ScriptVersion, ScriptVersion]:
    """The inbound call script on the voice queues and its two published versions: version 1 two
    weeks before the period, so that every demo call could have used it; version 2 halfway
    through it, so that the first half's calls follow v1 and the rest v2."""
    script = Script.objects.filter(name=SCRIPT_NAME).first()
    if script is None:
        # The draft is what version 2 was published from (version 1 is published from SCRIPT_STEPS).
        script = Script(name=SCRIPT_NAME, description=SCRIPT_DESCRIPTION, draft=SCRIPT_STEPS_V2)
        script.full_clean()
        script.save()
        script.queues.set([queues[q] for q in VOICE_QUEUES])
        count(created, "scripts")
    first = _script_version(script, 1, SCRIPT_STEPS, now - timedelta(days=days + 14), manager, created)
    second = _script_version(script, 2, SCRIPT_STEPS_V2, now - timedelta(days=days / 2), manager, created)
    return first, second


def _script_version(
    script: Script,
    number: int,
    steps: list[dict[str, object]],
    published: datetime,
    manager: AbstractBaseUser,
    created: dict[str, int],
) -> ScriptVersion:
    """Version ``number`` of ``script``, published at ``published`` by ``manager`` when missing."""
    version = script.versions.filter(number=number).first()
    if version is None:
        version = ScriptVersion(script=script, number=number, steps=steps, published_at=published, published_by=manager)
        version.full_clean()
        with keep_given_timestamps(ScriptVersion):
            version.save()
        count(created, "script versions")
    return version
