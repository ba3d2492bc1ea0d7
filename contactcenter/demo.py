"""Demo data: a realistic in-house contact center over the last days (``manage.py demo``).

How it is built, and why this way:

* Staff, teams, skills, queues and a published call script are looked up by name and created
  through the services when missing, so that a second run changes nothing.
* Customers, interactions, tickets, comments, survey answers and the presence log come from a
  small discrete-event simulation, deterministic for a seed and a ``now``. Contacts arrive on
  each channel along an hourly curve and go first come, first served to the eligible agent who
  is free first; agents work shifts with breaks; a caller whose wait exceeds their patience
  hangs up. Waits, abandons, handle times, repeats and the presence log therefore agree with one
  another, and the KPIs computed from them (SPEC §4) look like a real center's.
* Everything is written in one transaction by bulk inserts, history included (STYLE principle
  6). Each row passes ``full_clean()`` first: its fields and its model's ``clean()``. Foreign
  keys, uniqueness and check constraints are left to the database, which refuses a bad row and
  so rolls the whole load back; checking them in Python costs several queries per row and
  would take the load from seconds to minutes. ``tests/test_demo.py`` runs the complete
  ``full_clean()`` on every customer, contact point, interaction, ticket, comment and survey
  answer of a small load, and checks the presence log interval by interval.
"""

from __future__ import annotations

import heapq
import math
import random
import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TextIO
from zoneinfo import ZoneInfo

import phonenumbers
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history
from tqdm import tqdm

from contactcenter.agents.models import BreakReason, PresenceInterval, Queue, Role, Skill, Status, Team
from contactcenter.agents.services import agent_provision, queue_create, team_create
from contactcenter.core.choices import Channel, Direction
from contactcenter.knowledge.demo import load_knowledge_demo
from contactcenter.scripts.models import Script, ScriptVersion
from contactcenter.training.demo import load_training_demo
from customers.models import ContactPoint, Customer
from interactions.models import Disposition, Interaction, Priority, Ticket, TicketCategory, TicketComment, TicketStatus
from interactions.services import TICKET_REFERENCE_PREFIX, next_reference, ticket_sla_due
from kpis.models import SurveyKind, SurveyResponse

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

User = get_user_model()

#: The password of every account the demo creates. Public on purpose: never load the demo on an
#: instance reachable by people who should not log in.
DEMO_PASSWORD = "switchboard"  # noqa: S105
#: ``Interaction.source`` of demo interactions; with the id prefixes below it is how ``--reset``
#: finds the demo's rows and nothing else.
DEMO_SOURCE = "demo"
CUSTOMER_PREFIX = "demo-c-"
INTERACTION_PREFIX = "demo-i-"
HISTORY_REASON = "demo data"
BATCH_SIZE = 1000

MINUTE, HOUR, DAY = 60, 3600, 86400

FRONT, BACK, PREMIUM = "Front office", "Back office", "Premium"
SUPPORT, SALES, BILLING, CHAT, EMAIL, SMS, SOCIAL = (
    "Support",
    "Sales",
    "Billing",
    "Chat",
    "Email",
    "SMS",
    "Social media",
)
VOICE_QUEUES = (SUPPORT, SALES, BILLING)


# --- The center: teams, skills, queues, staff, script ---------------------------------------


@dataclass(frozen=True)
class QueueSpec:
    name: str
    channel: str
    service_level_seconds: int
    service_level_target: float
    skills: tuple[str, ...]


@dataclass(frozen=True)
class StaffSpec:
    username: str
    role: str
    first_name: str
    last_name: str
    team: str | None = None
    queues: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    superuser: bool = False


TEAMS: tuple[tuple[str, str], ...] = (
    (FRONT, "Inbound support and billing calls, web chat."),
    (BACK, "Email, SMS and social media; billing calls when the front office is full."),
    (PREMIUM, "Sales, outbound campaigns and premium customers."),
)

SKILLS: tuple[str, ...] = (
    "French",
    "English",
    "German",
    "Spanish",
    "Billing",
    "Sales",
    "Technical support",
    "Writing",
    "Social media",
)

QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec(SUPPORT, Channel.VOICE, 20, 0.8, ("French", "Technical support")),
    QueueSpec(SALES, Channel.VOICE, 15, 0.85, ("French", "Sales")),
    QueueSpec(BILLING, Channel.VOICE, 30, 0.8, ("French", "Billing")),
    QueueSpec(CHAT, Channel.CHAT, 30, 0.8, ("French", "Writing")),
    # Written channels are answered in hours, not seconds: their goals say so.
    QueueSpec(EMAIL, Channel.EMAIL, 8 * HOUR, 0.8, ("Writing",)),
    QueueSpec(SMS, Channel.SMS, HOUR, 0.8, ("Writing",)),
    QueueSpec(SOCIAL, Channel.SOCIAL, HOUR, 0.8, ("Writing", "Social media")),
)

_FRONT_QUEUES = (SUPPORT, BILLING, CHAT, SALES)
_PREMIUM_QUEUES = (SALES, SUPPORT, CHAT)
_BACK_QUEUES = (EMAIL, SMS, SOCIAL, BILLING)

STAFF: tuple[StaffSpec, ...] = (
    StaffSpec("admin", Role.ADMIN, "Claire", "Fontaine", superuser=True),
    StaffSpec("manager", Role.MANAGER, "Julien", "Moreau"),
    StaffSpec("supervisor1", Role.SUPERVISOR, "Sophie", "Laurent", FRONT, _FRONT_QUEUES, ("French", "English")),
    StaffSpec("supervisor2", Role.SUPERVISOR, "Karim", "Haddad", PREMIUM, _PREMIUM_QUEUES, ("French", "Sales")),
    StaffSpec("agent1", Role.AGENT, "Camille", "Martin", FRONT, _FRONT_QUEUES, ("French", "Technical support")),
    StaffSpec("agent2", Role.AGENT, "Lucas", "Bernard", FRONT, _FRONT_QUEUES, ("French", "English", "Billing")),
    StaffSpec("agent3", Role.AGENT, "Léa", "Dubois", FRONT, _FRONT_QUEUES, ("French", "Technical support", "Writing")),
    StaffSpec("agent4", Role.AGENT, "Hugo", "Petit", FRONT, _FRONT_QUEUES, ("French", "Billing")),
    StaffSpec("agent5", Role.AGENT, "Chloé", "Robert", FRONT, _FRONT_QUEUES, ("French", "Spanish", "Writing")),
    StaffSpec("agent6", Role.AGENT, "Thomas", "Richard", PREMIUM, _PREMIUM_QUEUES, ("French", "English", "Sales")),
    StaffSpec("agent7", Role.AGENT, "Inès", "Durand", PREMIUM, _PREMIUM_QUEUES, ("French", "Spanish", "Sales")),
    StaffSpec("agent8", Role.AGENT, "Antoine", "Leroy", PREMIUM, _PREMIUM_QUEUES, ("French", "Technical support")),
    StaffSpec("agent9", Role.AGENT, "Manon", "Girard", BACK, _BACK_QUEUES, ("French", "Writing", "Billing")),
    StaffSpec("agent10", Role.AGENT, "Nathan", "Lefebvre", BACK, _BACK_QUEUES, ("French", "German", "Writing")),
    StaffSpec("agent11", Role.AGENT, "Sarah", "Mercier", BACK, _BACK_QUEUES, ("French", "English", "Social media")),
    StaffSpec("agent12", Role.AGENT, "Maxime", "Blanc", BACK, _BACK_QUEUES, ("French", "Writing", "Social media")),
)

SCRIPT_NAME = "Inbound call"
#: Steps of the published script: each has a key, the text the agent reads, and the answers that
#: lead to the next step (none on a closing step).
SCRIPT_STEPS: list[dict[str, Any]] = [
    {
        "key": "greeting",
        "text": "Bonjour, service client, {agent} à votre écoute. Puis-je avoir votre nom, s'il vous plaît ?",
        "answers": [
            {"label": "Client reconnu", "next": "reason"},
            {"label": "Client inconnu", "next": "identify"},
        ],
    },
    {
        "key": "identify",
        "text": "Pouvez-vous me donner votre numéro client ou l'adresse email de votre compte ?",
        "answers": [{"label": "Compte trouvé", "next": "reason"}, {"label": "Pas de compte", "next": "reason"}],
    },
    {
        "key": "reason",
        "text": "Que puis-je faire pour vous aujourd'hui ?",
        "answers": [
            {"label": "Facture", "next": "billing"},
            {"label": "Problème technique", "next": "technical"},
            {"label": "Nouvelle offre", "next": "sales"},
        ],
    },
    {
        "key": "billing",
        "text": "Je consulte votre dernière facture. Pouvez-vous me préciser la ligne concernée ?",
        "answers": [{"label": "Réglé", "next": "closing"}, {"label": "À traiter", "next": "ticket"}],
    },
    {
        "key": "technical",
        "text": "Avez-vous déjà redémarré votre équipement ? Je vérifie l'état du service.",
        "answers": [{"label": "Réglé", "next": "closing"}, {"label": "À traiter", "next": "ticket"}],
    },
    {
        "key": "sales",
        "text": "Je vous présente nos offres adaptées à votre consommation.",
        "answers": [{"label": "Intéressé", "next": "closing"}, {"label": "Pas intéressé", "next": "closing"}],
    },
    {
        "key": "ticket",
        "text": "J'ouvre un dossier ; vous recevrez un email avec sa référence.",
        "answers": [{"label": "Continuer", "next": "closing"}],
    },
    {
        "key": "closing",
        "text": "Puis-je faire autre chose pour vous ? Merci de votre appel et bonne journée.",
        "answers": [],
    },
]


def _script_steps_v2() -> list[dict[str, Any]]:
    """Version 2 of the script, published halfway through the period: an interested caller now goes
    to a closing offer step (suggesting the "sale" disposition), the ticket step ends the call
    (suggesting "ticket-opened"), and the closing step suggests "resolved"."""
    steps = [dict(step, answers=[dict(answer) for answer in step["answers"]]) for step in SCRIPT_STEPS]
    by_key = {step["key"]: step for step in steps}
    by_key["sales"]["answers"] = [
        {"label": "Intéressé", "next": "offer"},
        {"label": "Pas intéressé", "next": "closing"},
    ]
    by_key["ticket"].update(
        text="J'ouvre un dossier ; vous recevrez un email avec sa référence sous une heure.",
        answers=[],
        disposition="ticket-opened",
    )
    by_key["closing"]["disposition"] = "resolved"
    steps.insert(
        steps.index(by_key["ticket"]),
        {
            "key": "offer",
            "text": "Parfait, {first_name} : j'active l'option aujourd'hui et vous envoie le récapitulatif par email.",
            "answers": [],
            "disposition": "sale",
        },
    )
    return steps


SCRIPT_STEPS_V2 = _script_steps_v2()


# --- What comes in: volumes and hourly curves -----------------------------------------------

WEEKDAY, SATURDAY, SUNDAY = 0, 1, 2
#: Mondays are busier, Fridays a little quieter.
WEEKDAY_FACTOR = {0: 1.15, 1: 1.0, 2: 0.95, 3: 0.95, 4: 0.9}

# Relative arrivals per local hour (index 0 = midnight). Phones and chat peak at 10h and 14h on
# weekdays and are closed at night; written channels trickle in around the clock.
_VOICE_CURVE = (
    (0,) * 8 + (4, 8, 12, 10, 6, 7, 11, 9, 8, 6, 4, 2) + (0,) * 4,
    (0,) * 9 + (6, 10, 10, 6, 5, 8, 7, 5) + (0,) * 7,
    (0,) * 10 + (6, 7, 5, 4, 6, 5) + (0,) * 8,
)
_CHAT_CURVE = ((0,) * 8 + (3, 6, 8, 8, 6, 7, 8, 8, 7, 7, 6, 4) + (0,) * 4, _VOICE_CURVE[1], _VOICE_CURVE[2])
_IVR_DAY = (0,) * 7 + (2, 5, 8, 10, 9, 7, 7, 9, 8, 7, 6, 5, 4, 3, 2) + (0,) * 2
_OUTBOUND_CURVE = ((0,) * 10 + (5, 5, 0, 0, 5, 5, 5, 5) + (0,) * 6, (0,) * 24, (0,) * 24)
_EMAIL_DAY = (1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 3, 6, 8, 8, 7, 5, 6, 7, 7, 6, 5, 4, 4, 4, 3, 2, 1.5)
_SMS_DAY = (0.2, 0.1, 0, 0, 0, 0.1, 0.5, 2, 4, 5, 5, 5, 4, 4, 5, 5, 5, 5, 4, 3, 2, 1, 0.5, 0.3)
_SOCIAL_DAY = (1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 2, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 7, 7, 5, 3, 2)


@dataclass(frozen=True)
class Stream:
    """One kind of contact: channel, queue, direction, contacts per day (weekday, Saturday,
    Sunday) and the hourly curve of each kind of day."""

    channel: str
    queue: str | None
    direction: str
    per_day: tuple[float, float, float]
    curve: tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]


STREAMS: tuple[Stream, ...] = (
    Stream(Channel.VOICE, SUPPORT, Direction.INBOUND, (95, 30, 12), _VOICE_CURVE),
    Stream(Channel.VOICE, SALES, Direction.INBOUND, (30, 12, 5), _VOICE_CURVE),
    Stream(Channel.VOICE, BILLING, Direction.INBOUND, (40, 10, 0), _VOICE_CURVE),
    Stream(Channel.VOICE, SALES, Direction.OUTBOUND, (25, 0, 0), _OUTBOUND_CURVE),
    Stream(Channel.IVR, None, Direction.INBOUND, (90, 40, 20), (_IVR_DAY,) * 3),
    Stream(Channel.CHAT, CHAT, Direction.INBOUND, (30, 12, 6), _CHAT_CURVE),
    Stream(Channel.EMAIL, EMAIL, Direction.INBOUND, (60, 25, 20), (_EMAIL_DAY,) * 3),
    Stream(Channel.SMS, SMS, Direction.INBOUND, (15, 8, 5), (_SMS_DAY,) * 3),
    Stream(Channel.SOCIAL, SOCIAL, Direction.INBOUND, (12, 8, 6), (_SOCIAL_DAY,) * 3),
)

#: Share of contacts from someone the center cannot identify (a withheld number, a guest chat).
UNKNOWN_SHARE = {
    Channel.VOICE: 0.07,
    Channel.IVR: 0.15,
    Channel.CHAT: 0.12,
    Channel.EMAIL: 0.03,
    Channel.SMS: 0.05,
    Channel.SOCIAL: 0.08,
}
#: Seconds an agent of a team is "less preferred" for a queue: premium agents take support calls,
#: the front office sales calls and the back office billing calls only when the usual team is
#: that much busier.
PENALTY = {(PREMIUM, SUPPORT): 20, (PREMIUM, CHAT): 10, (FRONT, SALES): 40, (BACK, BILLING): 45}
#: Median talk time of a voice call by queue, seconds (log-normal around it).
TALK_MEDIAN = {SUPPORT: 300, BILLING: 240, SALES: 330}


# --- Shifts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftTemplate:
    """Local start and end (hour, minute) and planned breaks ((hour, minute), minutes, reason)."""

    start: tuple[int, int]
    end: tuple[int, int]
    breaks: tuple[tuple[tuple[int, int], int, str], ...]


_P, _L = BreakReason.PERSONAL, BreakReason.LUNCH
# Phone shifts overlap so that the 10h and 14h peaks and the evening are covered, and lunches
# are staggered from 12h to 17h.
EARLY = ShiftTemplate((8, 0), (16, 0), (((11, 45), 45, _L), ((14, 55), 15, _P)))
MIDDLE = ShiftTemplate((10, 30), (18, 30), (((13, 0), 45, _L), ((16, 0), 15, _P)))
LATE = ShiftTemplate((12, 0), (20, 0), (((15, 15), 40, _L), ((17, 20), 15, _P)))
OFFICE = ShiftTemplate((9, 0), (17, 30), (((10, 30), 15, _P), ((12, 30), 60, _L), ((15, 30), 15, _P)))
SATURDAY_SHIFT = ShiftTemplate((9, 0), (17, 0), (((11, 0), 10, _P), ((12, 45), 45, _L), ((15, 15), 10, _P)))
SATURDAY_MORNING = ShiftTemplate((9, 0), (13, 0), (((11, 0), 10, _P),))
SUNDAY_SHIFT = ShiftTemplate((10, 0), (16, 0), (((12, 30), 30, _L), ((14, 30), 10, _P)))


# --- Results --------------------------------------------------------------------------------


class DemoError(Exception):
    """The demo cannot be loaded as asked (the message says why); nothing was written."""


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    team: str
    created: bool


@dataclass
class DemoResult:
    """What a run did: ``loaded`` is False when the demo data was already there."""

    loaded: bool
    logins: list[Login]
    created: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)


def count_labels() -> dict[str, str]:
    """The translated name of each key of ``DemoResult.created`` and ``.deleted``."""
    return {
        "teams": _("teams"),
        "skills": _("skills"),
        "queues": _("queues"),
        "users": _("user accounts"),
        "scripts": _("call scripts"),
        "script versions": _("script versions"),
        "customers": _("customers"),
        "contact points": _("contact points"),
        "interactions": _("interactions"),
        "tickets": _("tickets"),
        "comments": _("ticket comments"),
        "surveys": _("survey responses"),
        "presence intervals": _("presence intervals"),
        "knowledge categories": _("knowledge base categories"),
        "knowledge articles": _("knowledge base articles"),
        "training courses": _("training courses"),
        "training completions": _("training course completions"),
    }


# --- Entry points ---------------------------------------------------------------------------


def demo_exists() -> bool:
    """Whether demo customers or interactions are in the database."""
    return (
        Customer.objects.filter(external_id__startswith=CUSTOMER_PREFIX).exists()
        or Interaction.objects.filter(source=DEMO_SOURCE).exists()
    )


def load_demo(
    *,
    customers: int = 2000,
    days: int = 30,
    seed: int = 42,
    now: datetime | None = None,
    reset: bool = False,
    progress: TextIO | None = None,
) -> DemoResult:
    """Fill the database with a demo contact center whose activity covers ``days`` up to ``now``.

    Idempotent: staff, teams and queues are created only when missing, and the bulk data only
    when no demo data is there (``reset`` deletes it first). One transaction: on any error
    nothing is written. ``progress`` is the stream for progress bars (``None``: no bars).
    """
    if customers < 1 or days < 1:
        raise DemoError(_("Ask for at least one customer and one day."))
    now = (now or timezone.now()).replace(microsecond=0)
    rng = random.Random(seed)  # reproducible demo data, not secrets
    with transaction.atomic():
        result = DemoResult(loaded=False, logins=[])
        if reset:
            result.deleted = demo_delete(progress=progress)
        center = ensure_center(now=now, days=days, logins=result.logins, created=result.created)
        load_knowledge_demo(by=center.users["manager"], now=now, created=result.created)
        load_training_demo(by=center.users["manager"], now=now, days=days, created=result.created)
        if demo_exists():
            return result
        people = generate_customers(rng, count=customers, now=now, days=days, seed=seed, progress=progress)
        world = simulate(rng, center=center, people=people, now=now, days=days, progress=progress)
        write_demo(rng, center=center, people=people, world=world, now=now, result=result, progress=progress)
        result.loaded = True
    return result


def demo_delete(*, progress: TextIO | None = None) -> dict[str, int]:
    """Delete the demo's customers, interactions, tickets, survey answers, presence log and the
    history rows of all of them; staff, teams, queues and the script stay.

    Demo tickets are those of demo customers; the presence log is the demo agents'.
    """
    history = {
        model: model.history.model
        for model in (Customer, ContactPoint, Interaction, Ticket)  # type: ignore[attr-defined]
    }
    demo_customers = Customer.objects.filter(external_id__startswith=CUSTOMER_PREFIX)
    demo_interactions = Interaction.objects.filter(source=DEMO_SOURCE)
    historical_customer_ids = history[Customer].objects.filter(external_id__startswith=CUSTOMER_PREFIX).values("id")
    steps = [
        ("surveys", lambda: SurveyResponse.objects.filter(interaction__in=demo_interactions).delete()),
        ("interactions", lambda: demo_interactions.delete()),
        ("comments", lambda: TicketComment.objects.filter(ticket__customer__in=demo_customers).delete()),
        ("tickets", lambda: Ticket.objects.filter(customer__in=demo_customers).delete()),
        ("contact points", lambda: ContactPoint.objects.filter(customer__in=demo_customers).delete()),
        ("customers", lambda: demo_customers.delete()),
        # Deleting rows writes "deleted" history rows: the demo's history goes with it, those too.
        ("history", lambda: history[Interaction].objects.filter(source=DEMO_SOURCE).delete()),
        ("history", lambda: history[Ticket].objects.filter(customer_id__in=historical_customer_ids).delete()),
        ("history", lambda: history[ContactPoint].objects.filter(customer_id__in=historical_customer_ids).delete()),
        ("history", lambda: history[Customer].objects.filter(external_id__startswith=CUSTOMER_PREFIX).delete()),
        (
            "presence intervals",
            lambda: PresenceInterval.objects.filter(
                agent__username__in=[s.username for s in STAFF if s.role == Role.AGENT], ended_at__isnull=False
            ).delete(),
        ),
    ]
    deleted: dict[str, int] = {}
    with _bar(progress, total=len(steps), desc=_("Deleting the demo data"), unit=_("step")) as bar:
        for label, step in steps:
            _count, per_model = step()
            if label != "history":
                deleted[label] = deleted.get(label, 0) + per_model.get(_MODEL_OF_LABEL[label]._meta.label, 0)
            bar.update(1)
    return deleted


_MODEL_OF_LABEL: dict[str, type[models.Model]] = {
    "surveys": SurveyResponse,
    "interactions": Interaction,
    "comments": TicketComment,
    "tickets": Ticket,
    "contact points": ContactPoint,
    "customers": Customer,
    "presence intervals": PresenceInterval,
}


# --- The center -----------------------------------------------------------------------------


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
        second = self.script_version_2
        return second if second is not None and offered >= second.published_at else self.script_version


def ensure_center(*, now: datetime, days: int, logins: list[Login], created: dict[str, int]) -> Center:
    """Get or create the teams, skills, queues, staff accounts and the published call script.

    Existing rows are left as they are (a queue of the demo's name on another channel is an
    error: the demo would put calls in it). Accounts get :data:`DEMO_PASSWORD`.
    """
    teams: dict[str, Team] = {}
    for name, description in TEAMS:
        team = Team.objects.filter(name=name).first()
        if team is None:
            team = team_create(name=name, description=description)
            created["teams"] = created.get("teams", 0) + 1
        teams[name] = team
    skills: dict[str, Skill] = {}
    for name in SKILLS:
        skill = Skill.objects.filter(name=name).first()
        if skill is None:
            # No skill service yet (STYLE principle 1): validate, then save, as a service would.
            skill = Skill(name=name)
            skill.full_clean()
            skill.save()
            created["skills"] = created.get("skills", 0) + 1
        skills[name] = skill
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
            created["queues"] = created.get("queues", 0) + 1
        elif queue.channel != spec.channel:
            raise DemoError(
                _("The queue “%(name)s” exists on the %(channel)s channel; the demo needs it on %(wanted)s.")
                % {"name": spec.name, "channel": queue.channel, "wanted": spec.channel}
            )
        queues[spec.name] = queue
    users: dict[str, AbstractBaseUser] = {}
    for spec in STAFF:
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
                validate=False,
            )
            user = profile.user
            if spec.superuser:
                # agent_provision provisions roles, not superusers; the admin account is both.
                user.is_superuser = True
                user.save(update_fields=["is_superuser"])
            created["users"] = created.get("users", 0) + 1
        users[spec.username] = user
        logins.append(Login(spec.username, str(Role(spec.role).label), spec.team or "", is_new))
    script = Script.objects.filter(name=SCRIPT_NAME).first()
    if script is None:
        # The draft is what version 2 was published from (version 1 is published from SCRIPT_STEPS).
        script = Script(
            name=SCRIPT_NAME, description="Greeting, identification and call reasons.", draft=SCRIPT_STEPS_V2
        )
        script.full_clean()
        script.save()
        script.queues.set([queues[q] for q in VOICE_QUEUES])
        created["scripts"] = created.get("scripts", 0) + 1
    version = script.versions.filter(number=1).first()
    if version is None:
        # Published two weeks before the period, so that every demo call could have used it.
        published = now - timedelta(days=days + 14)
        version = ScriptVersion(
            script=script, number=1, steps=SCRIPT_STEPS, published_at=published, published_by=users["manager"]
        )
        version.full_clean()
        with _keep_given_timestamps(ScriptVersion):
            version.save()
        created["script versions"] = created.get("script versions", 0) + 1
    second = script.versions.filter(number=2).first()
    if second is None:
        # Published halfway through the period: the first half's calls follow v1, the rest v2.
        second = ScriptVersion(
            script=script,
            number=2,
            steps=SCRIPT_STEPS_V2,
            published_at=now - timedelta(days=days / 2),
            published_by=users["manager"],
        )
        second.full_clean()
        with _keep_given_timestamps(ScriptVersion):
            second.save()
        created["script versions"] = created.get("script versions", 0) + 1
    return Center(
        teams=teams,
        queues=queues,
        users=users,
        script_version=version,
        script_version_2=second,
        dispositions={d.code: d for d in Disposition.objects.filter(is_active=True)},
        categories={c.name: c for c in TicketCategory.objects.filter(is_active=True)},
    )


# --- Customers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    locale: str
    language: str
    weight: float
    #: (E.164 digits after "+", how many random digits follow)
    mobiles: tuple[tuple[str, int], ...]
    landlines: tuple[tuple[str, int], ...]


COUNTRIES: tuple[Country, ...] = (
    Country("fr_FR", "fr", 0.85, (("336", 8), ("337", 8)), (("331", 8), ("332", 8), ("334", 8), ("335", 8))),
    Country("en_GB", "en", 0.05, (("447", 9),), (("4420", 8),)),
    Country("de_DE", "de", 0.04, (("4915", 9), ("4917", 8)), (("4930", 8),)),
    Country("en_US", "en", 0.03, (("1212", 7), ("1415", 7), ("1617", 7)), ()),
    Country("es_ES", "es", 0.03, (("346", 8),), (("3491", 7),)),
)
TAGS = (("premium", 8), ("vip", 3), ("fidèle", 10), ("nouveau client", 8), ("newsletter", 12), ("à rappeler", 3))
#: Reserved for documentation (RFC 2606): a demo never mails a real person.
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
SOCIAL_NETWORKS = ("facebook", "instagram", "x", "linkedin")
CUSTOMER_NOTES = (
    "Préfère être contacté le matin.",
    "Client depuis l'ouverture, très attaché au service.",
    "Malentendant : privilégier l'email.",
    "A signalé un déménagement prévu.",
)


@dataclass
class Person:
    """A generated customer with its contact points and what routing needs to know of it."""

    customer: Customer
    points: list[ContactPoint]
    has_phone: bool
    has_email: bool
    has_social: bool


def generate_customers(
    rng: random.Random, *, count: int, now: datetime, days: int, seed: int, progress: TextIO | None = None
) -> list[Person]:
    """``count`` customers, mostly French, with valid E.164 phones, emails and a few handles.

    External ids are ``demo-c-00001``…; about 1 % are duplicates of an earlier customer (same
    name and email, another phone), for the deduplication screens.
    """
    fakers = _fakers(seed)
    start = now - timedelta(days=days)
    taken_phones: set[str] = set()
    taken_emails: set[str] = set()
    people: list[Person] = []
    weights = [c.weight for c in COUNTRIES]
    with _bar(progress, total=count, desc=_("Generating customers"), unit=_("customer")) as bar:
        for n in range(1, count + 1):
            country = rng.choices(COUNTRIES, weights)[0]
            fake = fakers[country.locale]
            original = people[rng.randrange(len(people))] if n > 20 and rng.random() < 0.01 else None
            if original is not None:
                first, last = original.customer.first_name, original.customer.last_name
                company, language = original.customer.company, original.customer.language
            else:
                first, last = fake.first_name(), fake.last_name()
                company = fake.company() if rng.random() < 0.18 else ""
                language = "en" if country.language == "fr" and rng.random() < 0.03 else country.language
            tags = sorted({_weighted(rng, TAGS) for _tag in range(rng.randint(0, 3))})
            if company:
                tags.append("b2b")
            since = start - timedelta(seconds=rng.randrange(DAY, 3 * 365 * DAY))
            customer = Customer(
                first_name=first,
                last_name=last,
                company=company,
                language=language,
                tags=tags,
                notes=rng.choice(CUSTOMER_NOTES) if rng.random() < 0.05 else "",
                consent_marketing=rng.random() < 0.35,
                consent_recording=rng.random() < 0.9,
                consent_surveys=rng.random() < 0.8,
                external_id=f"{CUSTOMER_PREFIX}{n:05d}",
                created_at=since,
                updated_at=since,
            )
            points: list[ContactPoint] = []
            if rng.random() < 0.9:
                _add_point(
                    points, customer, ContactPoint.Kind.PHONE, _phone(rng, country.mobiles, taken_phones), "mobile"
                )
            if country.landlines and rng.random() < 0.3:
                _add_point(
                    points, customer, ContactPoint.Kind.PHONE, _phone(rng, country.landlines, taken_phones), "home"
                )
            original_emails = [p.value for p in original.points if p.kind == "email"] if original else []
            if original_emails:
                # A duplicate: same person typed in twice, recognisable by name and email.
                _add_point(points, customer, ContactPoint.Kind.EMAIL, original_emails[0], "personal")
            elif rng.random() < 0.82:
                email = _email(rng, first, last, rng.choice(EMAIL_DOMAINS), taken_emails)
                _add_point(points, customer, ContactPoint.Kind.EMAIL, email, "personal")
            if company and rng.random() < 0.6:
                domain = f"{_ascii(company, '-')[:40].strip('-') or 'company'}.example"
                _add_point(
                    points,
                    customer,
                    ContactPoint.Kind.EMAIL,
                    _email(rng, first[:1], last, domain, taken_emails),
                    "work",
                )
            if rng.random() < 0.12:
                handle = f"@{_ascii(first, '')}{_ascii(last, '')[:4]}{rng.randint(1, 99)}"
                _add_point(points, customer, ContactPoint.Kind.SOCIAL, handle, network=rng.choice(SOCIAL_NETWORKS))
            if not points:
                email = _email(rng, first, last, rng.choice(EMAIL_DOMAINS), taken_emails)
                _add_point(points, customer, ContactPoint.Kind.EMAIL, email, "personal")
            kinds = {p.kind for p in points}
            people.append(Person(customer, points, "phone" in kinds, "email" in kinds, "social" in kinds))
            bar.update(1)
    return people


def _add_point(
    points: list[ContactPoint], customer: Customer, kind: str, value: str, label: str = "", network: str = ""
) -> None:
    """Append a contact point; the first of its kind is the primary one."""
    points.append(
        ContactPoint(
            customer=customer,
            kind=kind,
            value=value,
            label=label,
            network=network,
            is_primary=not any(p.kind == kind for p in points),
            created_at=customer.created_at,
            updated_at=customer.created_at,
        )
    )


def _fakers(seed: int) -> dict[str, Any]:
    try:
        from faker import Faker
    except ImportError as exc:  # Faker is a development dependency (requirements-dev.txt)
        raise DemoError(_("The demo needs Faker: pip install -r requirements-dev.txt")) from exc
    fakers = {}
    for offset, country in enumerate(COUNTRIES):
        fake = Faker(country.locale)
        fake.seed_instance(seed + offset)
        fakers[country.locale] = fake
    return fakers


def _phone(rng: random.Random, patterns: Sequence[tuple[str, int]], taken: set[str]) -> str:
    """A number valid for libphonenumber, in E.164, that no other demo customer has."""
    for _attempt in range(200):
        prefix, digits = rng.choice(patterns)
        value = "+" + prefix + "".join(str(rng.randrange(10)) for _digit in range(digits))
        if value not in taken and phonenumbers.is_valid_number(phonenumbers.parse(value, None)):
            taken.add(value)
            return value
    raise DemoError(_("Could not find a free valid phone number; ask for fewer customers."))


def _ascii(text: str, separator: str) -> str:
    """``Hélène Le Goff`` → ``helene-le-goff`` (with ``separator`` "-")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", separator, plain).strip(separator)


def _email(rng: random.Random, first: str, last: str, domain: str, taken: set[str]) -> str:
    local = ".".join(part for part in (_ascii(first, "-"), _ascii(last, "-")) if part) or "client"
    email = f"{local}@{domain}"
    while email in taken:
        email = f"{local}{rng.randint(1, 9999)}@{domain}"
    taken.add(email)
    return email


# --- Simulation -----------------------------------------------------------------------------


@dataclass
class _Break:
    planned: int
    seconds: int
    reason: str
    start: int | None = None


@dataclass
class _Work:
    busy_from: int
    busy_to: int
    wrap_to: int


@dataclass
class _Shift:
    login: int
    start: int
    end: int
    breaks: list[_Break]
    logout_delay: int = 0
    taken: int = 0
    logout: int | None = None
    work: list[_Work] = field(default_factory=list)


@dataclass(eq=False)
class _Agent:
    index: int
    username: str
    team: str
    queues: frozenset[str]
    shifts: list[_Shift] = field(default_factory=list)
    pos: int = 0
    free_at: int = 0


@dataclass(eq=False)
class _Episode:
    """One customer's issue: the contacts about it and the ticket opened for it, if any."""

    contacts: int = 1
    ticket: _TicketPlan | None = None


@dataclass(eq=False)
class _TicketPlan:
    created: int
    person: int
    agent: _Agent | None
    queue: str | None
    disposition: str
    priority: str
    category: str
    resolved_by_contact: int | None = None
    obj: Ticket | None = None


@dataclass(eq=False)
class _Contact:
    channel: str
    direction: str
    queue: str | None
    offered: int
    person: int | None
    answered: int | None = None
    ended: int | None = None
    wrapup: int | None = None
    hold: int = 0
    agent: _Agent | None = None
    disposition: str | None = None
    sentiment: float | None = None
    ticket: _TicketPlan | None = None
    script: bool = False
    notes: str = ""


@dataclass
class World:
    """The simulated period: agents with their shifts and work, contacts, tickets."""

    agents: list[_Agent]
    contacts: list[_Contact]
    tickets: list[_TicketPlan]


def simulate(
    rng: random.Random,
    *,
    center: Center,
    people: list[Person],
    now: datetime,
    days: int,
    progress: TextIO | None = None,
) -> World:
    """Run the center over ``days`` up to ``now``: arrivals, routing, outcomes, repeats, tickets."""
    tz = ZoneInfo(settings.TIME_ZONE)
    end = int(now.timestamp())
    start = end - days * DAY
    agents = [
        _Agent(i, spec.username, spec.team or "", frozenset(spec.queues))
        for i, spec in enumerate(spec for spec in STAFF if spec.role == Role.AGENT)
    ]
    _plan_shifts(rng, agents, start, end, tz)
    arrivals = _arrivals(rng, start, end, tz)
    pools = {q.name: [(a, PENALTY.get((a.team, q.name), 0)) for a in agents if q.name in a.queues] for q in QUEUES}
    callers = _Callers(rng, people)
    back_office = [a for a in agents if a.team == BACK]
    world = World(agents=agents, contacts=[], tickets=[])
    sim = _Simulator(rng, world, callers, pools, back_office, end, center)
    with _bar(progress, total=len(arrivals), desc=_("Interactions"), unit=_("contact")) as bar:
        for t, _order, stream in arrivals:
            sim.arrive(t, stream)
            bar.update(1)
    for agent in agents:
        _next_start(agent, end)  # take the breaks and close the shifts that are over by now
    world.contacts.sort(key=lambda c: c.offered)
    return world


def _plan_shifts(rng: random.Random, agents: list[_Agent], start: int, end: int, tz: ZoneInfo) -> None:
    """Give every agent the shifts of the rota that overlap ``[start, end)``."""
    teams: dict[str, list[_Agent]] = {}
    for agent in agents:
        teams.setdefault(agent.team, []).append(agent)
    day = datetime.fromtimestamp(start, tz).date() - timedelta(days=1)
    last = datetime.fromtimestamp(end, tz).date()
    while day <= last:
        for team, members in teams.items():
            for agent, template in _rota(team, members, day):
                shift = _make_shift(rng, template, day, tz, team, stagger=agent.index % 3)
                if shift.end > start and shift.login < end:
                    agent.shifts.append(shift)
        day += timedelta(days=1)


def _rota(team: str, members: list[_Agent], day: date) -> list[tuple[_Agent, ShiftTemplate]]:
    """Who works on ``day`` and which shift: weekend crews rotate weekly and take a weekday off;
    on weekdays phone agents spread over early, middle and late shifts, and one back-office
    agent stays late for the evening's messages."""
    n = len(members)
    week, weekday = day.isocalendar().week, day.weekday()
    saturday = {week % n, (week + 1) % n} if team == FRONT and n > 1 else {week % n}
    sunday = {(week + 2) % n} if team == FRONT else {(week + 1) % n} if team == PREMIUM else set()
    if weekday == 5:
        template = SATURDAY_MORNING if team == BACK else SATURDAY_SHIFT
        return [(members[i], template) for i in sorted(saturday)]
    if weekday == 6:
        return [(members[i], SUNDAY_SHIFT) for i in sorted(sunday)]
    off = (saturday if weekday == 4 else set()) | (sunday if weekday == 2 else set())
    working = [i for i in sorted(range(n), key=lambda i: (i + week) % n) if i not in off]
    count = len(working)
    if team == BACK:
        return [(members[i], LATE if count >= 3 and rank == count - 1 else OFFICE) for rank, i in enumerate(working)]
    early = math.ceil(count * 0.4)
    late = max(1, round(count * 0.25)) if count > 1 else 0
    return [
        (members[i], EARLY if rank < early else LATE if rank >= count - late else MIDDLE)
        for rank, i in enumerate(working)
    ]


def _local(day: date, hour: int, minute: int, tz: ZoneInfo) -> int:
    return int(datetime.combine(day, time(hour, minute), tzinfo=tz).timestamp())


def _make_shift(
    rng: random.Random, template: ShiftTemplate, day: date, tz: ZoneInfo, team: str, *, stagger: int
) -> _Shift:
    """One shift of ``template`` on ``day``: breaks a few minutes off plan, lunches staggered by
    ``stagger`` quarters of an hour so that a team never lunches all at once, and now and then a
    coaching session, a training or a meeting."""
    start, end = _local(day, *template.start, tz), _local(day, *template.end, tz)
    breaks = [
        _Break(
            _local(day, *hm, tz) + rng.randint(-5, 5) * MINUTE + (stagger * 15 * MINUTE if reason == _L else 0),
            minutes * MINUTE,
            reason,
        )
        for hm, minutes, reason in template.breaks
    ]
    extras: list[tuple[int, str]] = []
    if team != BACK and rng.random() < 0.1:
        extras.append((30, BreakReason.COACHING))
    if rng.random() < 0.04:
        extras.append((60, BreakReason.TRAINING))
    if team == BACK and day.weekday() == 3 and template is OFFICE:
        extras.append((30, BreakReason.MEETING))
    for minutes, reason in extras:
        for _attempt in range(5):
            at = start + rng.randrange(90 * MINUTE, max(91 * MINUTE, end - start - 120 * MINUTE), 5 * MINUTE)
            clear = all(
                at + minutes * MINUTE + 15 * MINUTE <= b.planned or at >= b.planned + b.seconds + 15 * MINUTE
                for b in breaks
            )
            if clear:
                breaks.append(_Break(at, minutes * MINUTE, reason))
                break
    breaks.sort(key=lambda b: b.planned)
    return _Shift(
        login=start - rng.randint(0, 4 * MINUTE),
        start=start,
        end=end,
        breaks=breaks,
        logout_delay=rng.randint(0, 3 * MINUTE),
    )


def _next_start(agent: _Agent, t: int) -> int | None:
    """When ``agent`` can start new work at or after ``t``; ``None`` when no shift is left.

    Breaks and shift ends are settled lazily, in time order: a break starts when planned or
    when the work in hand is done, whichever is later; a shift ends at its planned end or when
    the last contact is done. Arrivals come in time order, so what is settled here stays true.
    """
    s = max(t, agent.free_at)
    while agent.pos < len(agent.shifts):
        shift = agent.shifts[agent.pos]
        s = max(s, shift.start)
        pending = shift.breaks[shift.taken] if shift.taken < len(shift.breaks) else None
        if pending is not None and s >= pending.planned:
            begin = max(pending.planned, agent.free_at)
            if begin >= shift.end:
                shift.taken = len(shift.breaks)  # the shift is over before this break
                shift.breaks = shift.breaks[: shift.taken]
                continue
            pending.start = begin
            shift.taken += 1
            agent.free_at = max(agent.free_at, begin + pending.seconds)
            s = max(s, agent.free_at)
            continue
        if s >= shift.end:
            shift.breaks = shift.breaks[: shift.taken]
            shift.logout = max(shift.end, agent.free_at) + shift.logout_delay
            agent.pos += 1
            continue
        return s
    return None


def _arrivals(rng: random.Random, start: int, end: int, tz: ZoneInfo) -> list[tuple[int, int, Stream]]:
    """Every contact of every stream in ``[start, end)``: Poisson counts per local hour."""
    arrivals: list[tuple[int, int, Stream]] = []
    day = datetime.fromtimestamp(start, tz).date()
    last = datetime.fromtimestamp(end, tz).date()
    while day <= last:
        kind = SATURDAY if day.weekday() == 5 else SUNDAY if day.weekday() == 6 else WEEKDAY
        factor = WEEKDAY_FACTOR[day.weekday()] if kind == WEEKDAY else 1.0
        for order, stream in enumerate(STREAMS):
            curve = stream.curve[kind]
            volume, total = stream.per_day[kind] * factor, sum(curve)
            if not volume or not total:
                continue
            for hour, weight in enumerate(curve):
                if not weight:
                    continue
                hour_start = _local(day, hour, 0, tz)
                for _n in range(_poisson(rng, volume * weight / total)):
                    t = hour_start + rng.randrange(HOUR)
                    if start <= t < end:
                        arrivals.append((t, order, stream))
        day += timedelta(days=1)
    arrivals.sort(key=lambda a: (a[0], a[1]))
    return arrivals


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _lognormal(rng: random.Random, median: float, sigma: float, low: int, high: int) -> int:
    return int(min(high, max(low, rng.lognormvariate(math.log(median), sigma))))


class _Callers:
    """Who is on the line: an unknown caller, a customer coming back about an open issue (that is
    what keeps FCR below 100 %), or a customer with a new issue, preferably one who has not been
    in touch within the FCR window."""

    def __init__(self, rng: random.Random, people: list[Person]) -> None:
        self.rng = rng
        self.window = settings.FCR_WINDOW_DAYS * DAY
        phone = [i for i, p in enumerate(people) if p.has_phone]
        everyone = list(range(len(people)))
        self.pools: dict[str, list[int]] = {
            Channel.VOICE: phone,
            Channel.IVR: phone,
            Channel.SMS: phone,
            Channel.EMAIL: [i for i, p in enumerate(people) if p.has_email],
            Channel.SOCIAL: [i for i, p in enumerate(people) if p.has_social],
            Channel.CHAT: everyone,
        }
        self.can = {channel: set(pool) for channel, pool in self.pools.items()}
        self.last = [-(10**12)] * len(people)
        self.pending: list[tuple[int, int, int, _Episode]] = []
        self.waiting: set[int] = set()
        self.seq = 0

    def come_back(self, person: int, episode: _Episode, due: int) -> None:
        """``person`` will get in touch again about ``episode`` from ``due`` on."""
        self.seq += 1
        heapq.heappush(self.pending, (due, self.seq, person, episode))
        self.waiting.add(person)

    def pick(self, t: int, channel: str) -> tuple[int | None, _Episode | None]:
        if self.rng.random() < UNKNOWN_SHARE.get(channel, 0):
            return None, None
        skipped, found = [], None
        while self.pending and self.pending[0][0] <= t and len(skipped) < 5:
            item = heapq.heappop(self.pending)
            if t - item[0] > 2 * DAY:  # they gave up
                self.waiting.discard(item[2])
            elif item[2] in self.can[channel]:
                found = item
                break
            else:
                skipped.append(item)
        for item in skipped:
            heapq.heappush(self.pending, item)
        if found is not None:
            _due, _seq, person, episode = found
            self.waiting.discard(person)
            self.last[person] = t
            episode.contacts += 1
            return person, episode
        pool = self.pools[channel]
        if not pool:
            return None, None
        person = pool[0]
        for _attempt in range(12):
            person = pool[self.rng.randrange(len(pool))]
            if person not in self.waiting and t - self.last[person] > self.window:
                break
        self.last[person] = t
        return person, _Episode()


RESOLVING = {
    SALES: (("sale", 45), ("information-given", 40), ("resolved", 15)),
    SUPPORT: (("resolved", 60), ("information-given", 40)),
    BILLING: (("resolved", 55), ("information-given", 45)),
}
RESOLVING_DEFAULT = (("resolved", 50), ("information-given", 50))
NOT_RESOLVING = (("ticket-opened", 25), ("escalated", 7), ("complaint", 6), ("callback", 32), ("transferred", 30))
OPENS_TICKET = frozenset({"ticket-opened", "escalated", "complaint"})
OUTBOUND_CONNECTED = (("sale", 30), ("information-given", 35), ("callback", 20), ("resolved", 15))


def _weighted(rng: random.Random, choices: Sequence[tuple[str, float]]) -> str:
    return rng.choices([c for c, _w in choices], [w for _c, w in choices])[0]


class _Simulator:
    """Routes each arrival, decides its outcome and what follows from it."""

    def __init__(
        self,
        rng: random.Random,
        world: World,
        callers: _Callers,
        pools: dict[str, list[tuple[_Agent, int]]],
        back_office: list[_Agent],
        end: int,
        center: Center,
    ) -> None:
        self.rng, self.world, self.callers, self.pools = rng, world, callers, pools
        self.back_office, self.end, self.center = back_office, end, center

    def arrive(self, t: int, stream: Stream) -> None:
        if stream.direction == Direction.OUTBOUND:
            self._outbound(t, stream)
        elif stream.channel == Channel.IVR:
            self._ivr(t)
        else:
            self._inbound(t, stream)

    def _best(self, t: int, queue: str) -> tuple[_Agent | None, int | None]:
        """The agent who can take a contact of ``queue`` first and when; among agents free at
        once, the one idle the longest (as an ACD routes), so that the work is shared."""
        best: tuple[int, int, int, _Agent, int] | None = None
        for agent, penalty in self.pools[queue]:
            s = _next_start(agent, t)
            if s is None:
                continue
            key = (s + penalty, agent.free_at, agent.index)
            if best is None or key < best[:3]:
                best = (*key, agent, s)
        return (best[3], best[4]) if best else (None, None)

    def _assign(self, agent: _Agent, contact: _Contact, busy_from: int) -> None:
        assert contact.ended is not None
        wrap_to = contact.wrapup or contact.ended
        agent.shifts[agent.pos].work.append(_Work(busy_from, contact.ended, wrap_to))
        agent.free_at = wrap_to
        contact.agent = agent

    def _inbound(self, t: int, stream: Stream) -> None:
        rng, queue, channel = self.rng, stream.queue or "", stream.channel
        person, episode = self.callers.pick(t, channel)
        contact = _Contact(channel, Direction.INBOUND, queue, t, person)
        agent, start = self._best(t, queue)
        realtime = channel in (Channel.VOICE, Channel.CHAT)
        if realtime:
            patience = self._patience(channel)
            ring = rng.randint(2, 7) if channel == Channel.VOICE else rng.randint(3, 12)
            answered = start + ring if start is not None else None
            if answered is None or answered - t > patience:
                contact.ended = t + patience
                if contact.ended > self.end:
                    return  # still waiting now: not part of the demo
                self.world.contacts.append(contact)
                if person is not None and episode is not None and rng.random() < 0.55:
                    self.callers.come_back(person, episode, contact.ended + rng.randint(MINUTE, 30 * MINUTE))
                return
        else:
            answered = start
        assert agent is not None or not realtime
        if channel == Channel.VOICE:
            talk = _lognormal(rng, TALK_MEDIAN[queue], 0.55, 20, 3600)
            contact.hold = int(talk * rng.uniform(0.05, 0.35)) if rng.random() < 0.25 else 0
            length, wrap = talk + contact.hold, rng.randint(30, 120)
        elif channel == Channel.CHAT:
            length, wrap = _lognormal(rng, 540, 0.5, 60, 3600), rng.randint(15, 60)
        elif channel == Channel.EMAIL:
            length, wrap = _lognormal(rng, 420, 0.5, 60, 2400), rng.randint(10, 45) if rng.random() < 0.7 else 0
        elif channel == Channel.SMS:
            length, wrap = _lognormal(rng, 120, 0.5, 20, 900), rng.randint(5, 30) if rng.random() < 0.5 else 0
        else:
            length, wrap = _lognormal(rng, 200, 0.5, 30, 1200), rng.randint(5, 40) if rng.random() < 0.6 else 0
        if agent is None or answered is None or answered + length + wrap > self.end:
            if realtime:
                return  # in conversation now: not part of the demo
            self.world.contacts.append(contact)  # a written message nobody has picked up yet
            return
        contact.answered, contact.ended = answered, answered + length
        contact.wrapup = contact.ended + wrap if wrap else None
        self._assign(agent, contact, answered)
        self._conclude(contact, episode)
        self.world.contacts.append(contact)

    def _patience(self, channel: str) -> int:
        """Seconds a caller waits before hanging up: a few hang up at once (short abandons)."""
        rng = self.rng
        if rng.random() < (0.035 if channel == Channel.VOICE else 0.02):
            return rng.randint(1, 4)
        # Hardly anyone gives up in the first seconds of the queue message; then it is a matter
        # of temper (exponential).
        least, mean = (20, 180) if channel == Channel.VOICE else (30, 240)
        return least + int(rng.expovariate(1 / mean))

    def _conclude(self, contact: _Contact, episode: _Episode | None) -> None:
        """Disposition, resolution, sentiment and notes of a handled inbound contact; what
        follows: a ticket, the customer coming back."""
        rng, person = self.rng, contact.person
        contacts = episode.contacts if episode else 1
        unresolved = 0.2 if contacts == 1 else 0.3 if contacts == 2 else 0.12
        if contact.queue == SALES:
            unresolved *= 0.6
        if contact.channel == Channel.VOICE and rng.random() < 0.01:
            contact.disposition = "wrong-number"
        elif rng.random() < unresolved:
            disposition = _weighted(rng, NOT_RESOLVING)
            if disposition in OPENS_TICKET and person is None:
                disposition = "transferred"  # no customer to open a ticket for
            contact.disposition = disposition
            if episode is not None and person is not None:
                if episode.ticket is None and disposition in OPENS_TICKET:
                    episode.ticket = self._open_ticket(contact, person, disposition)
                if rng.random() < 0.85:
                    self.callers.come_back(person, episode, (contact.wrapup or contact.ended or 0) + self._delay())
        else:
            contact.disposition = _weighted(rng, RESOLVING.get(contact.queue or "", RESOLVING_DEFAULT))
            if episode is not None and episode.ticket is not None and episode.ticket.resolved_by_contact is None:
                episode.ticket.resolved_by_contact = contact.ended
            if person is not None and rng.random() < 0.04:  # a new question within days
                self.callers.come_back(person, _Episode(), (contact.wrapup or contact.ended or 0) + self._delay())
        if episode is not None:
            contact.ticket = episode.ticket
        contact.script = contact.channel == Channel.VOICE and rng.random() < 0.85
        self._flavour(contact)

    def _delay(self) -> int:
        """When a customer with an open issue gets back in touch: same day, within days, or later."""
        rng, r = self.rng, self.rng.random()
        if r < 0.35:
            return rng.randint(10 * MINUTE, 4 * HOUR)
        if r < 0.8:
            return rng.randint(DAY, 3 * DAY)
        return rng.randint(3 * DAY, 7 * DAY)

    def _flavour(self, contact: _Contact) -> None:
        """Sentiment on about two thirds of conversations (leaning on the outcome) and a note on
        about a third."""
        rng = self.rng
        resolves = self._resolves(contact.disposition)
        if contact.channel != Channel.IVR and rng.random() < 0.65:
            base = -0.55 if contact.disposition == "complaint" else 0.35 if resolves else -0.15
            contact.sentiment = round(max(-1.0, min(1.0, rng.gauss(base, 0.3))), 3)
        if contact.disposition and rng.random() < 0.35:
            contact.notes = rng.choice(NOTES.get(contact.disposition, ("",)))

    def _resolves(self, code: str | None) -> bool:
        disposition = self.center.dispositions.get(code or "")
        return bool(disposition and disposition.resolves)

    def _open_ticket(self, contact: _Contact, person: int, disposition: str) -> _TicketPlan:
        rng = self.rng
        if disposition == "escalated":
            priority = _weighted(rng, ((Priority.URGENT, 20), (Priority.HIGH, 50), (Priority.NORMAL, 30)))
            agent = rng.choice(self.back_office) if self.back_office else contact.agent
        else:
            agent = contact.agent
            if disposition == "complaint":
                priority = _weighted(rng, ((Priority.HIGH, 40), (Priority.NORMAL, 60)))
            else:
                priority = _weighted(
                    rng, ((Priority.LOW, 20), (Priority.NORMAL, 65), (Priority.HIGH, 12), (Priority.URGENT, 3))
                )
        category = "Complaint" if disposition == "complaint" else _weighted(rng, CATEGORY_BY_QUEUE[contact.queue or ""])
        plan = _TicketPlan(
            created=min((contact.ended or contact.offered) + rng.randint(5, 60), self.end),
            person=person,
            agent=agent,
            queue=contact.queue,
            disposition=disposition,
            priority=priority,
            category=category,
        )
        self.world.tickets.append(plan)
        return plan

    def _outbound(self, t: int, stream: Stream) -> None:
        """A campaign call, dialled only when a sales agent is idle: inbound calls come first."""
        rng = self.rng
        agent, start = self._best(t, stream.queue or SALES)
        if agent is None or start is None or start - t > MINUTE or agent.team != PREMIUM:
            return
        pool = self.callers.pools[Channel.VOICE]
        person = pool[rng.randrange(len(pool))] if pool else None
        contact = _Contact(Channel.VOICE, Direction.OUTBOUND, stream.queue, start, person)
        outcome = rng.random()
        if outcome < 0.6:
            contact.answered = start + rng.randint(6, 25)
            contact.ended = contact.answered + _lognormal(rng, 150, 0.6, 15, 1800)
            contact.disposition = _weighted(rng, OUTBOUND_CONNECTED)
        elif outcome < 0.82:
            contact.ended = start + rng.randint(25, 40)
            contact.disposition = "no-answer"
        else:
            contact.answered = start + rng.randint(20, 30)
            contact.ended = contact.answered + rng.randint(15, 40)
            contact.disposition = "voicemail"
        contact.wrapup = contact.ended + rng.randint(10, 60)
        if contact.wrapup > self.end:
            return
        self._assign(agent, contact, start)
        if contact.disposition not in ("no-answer", "voicemail"):
            self._flavour(contact)
        self.world.contacts.append(contact)

    def _ivr(self, t: int) -> None:
        """Self-service: no agent; when it does not help, the caller tries again soon."""
        rng = self.rng
        person, episode = self.callers.pick(t, Channel.IVR)
        contact = _Contact(Channel.IVR, Direction.INBOUND, None, t, person)
        contact.answered = t + 1
        contact.ended = contact.answered + _lognormal(rng, 100, 0.5, 15, 900)
        if contact.ended > self.end:
            return
        if rng.random() < 0.7:
            contact.disposition = "information-given"
        elif person is not None and episode is not None and rng.random() < 0.7:
            self.callers.come_back(person, episode, contact.ended + rng.randint(10, 5 * MINUTE))
        self.world.contacts.append(contact)


CATEGORY_BY_QUEUE: dict[str, tuple[tuple[str, float], ...]] = {
    BILLING: (("Billing", 1),),
    SALES: (("Account", 50), ("Other", 30), ("Billing", 20)),
    SUPPORT: (("Technical issue", 55), ("Delivery", 25), ("Account", 20)),
    CHAT: (("Technical issue", 40), ("Delivery", 30), ("Account", 30)),
    EMAIL: (("Billing", 30), ("Delivery", 25), ("Account", 25), ("Other", 20)),
    SMS: (("Delivery", 60), ("Other", 40)),
    SOCIAL: (("Technical issue", 40), ("Delivery", 30), ("Other", 30)),
    "": (("Other", 1),),
}
NOTES: dict[str, tuple[str, ...]] = {
    "resolved": ("Problème réglé pendant l'échange.", "Réinitialisation faite avec le client, tout fonctionne."),
    "information-given": ("Informations données sur l'offre.", "Explication de la dernière facture."),
    "sale": ("Souscription à l'offre supérieure.", "Option ajoutée au contrat."),
    "ticket-opened": ("Ticket ouvert pour suivi.",),
    "escalated": ("Escaladé au back office.",),
    "complaint": ("Réclamation enregistrée, client mécontent.",),
    "callback": ("Rappel convenu avec le client.",),
    "transferred": ("Transféré vers le service concerné.",),
    "wrong-number": ("Erreur de numéro.",),
}
SUBJECTS: dict[str, dict[str, tuple[str, ...]]] = {
    "Billing": {
        "fr": ("Facture incorrecte", "Double prélèvement", "Demande d'échéancier", "Remboursement non reçu"),
        "en": ("Incorrect invoice", "Charged twice", "Payment plan request", "Refund not received"),
    },
    "Technical issue": {
        "fr": ("Service indisponible", "Impossible de se connecter", "Panne depuis ce matin", "Application bloquée"),
        "en": ("Service unavailable", "Cannot log in", "Outage since this morning", "App keeps freezing"),
    },
    "Delivery": {
        "fr": ("Colis non reçu", "Livraison en retard", "Article endommagé", "Erreur d'adresse de livraison"),
        "en": ("Parcel not received", "Late delivery", "Damaged item", "Wrong delivery address"),
    },
    "Account": {
        "fr": ("Modification des coordonnées", "Résiliation du contrat", "Changement d'offre", "Compte bloqué"),
        "en": ("Change of contact details", "Contract cancellation", "Change of plan", "Account locked"),
    },
    "Complaint": {
        "fr": ("Réclamation : délai de traitement", "Réclamation sur l'accueil", "Demande de geste commercial"),
        "en": ("Complaint: handling time", "Complaint about the service", "Request for compensation"),
    },
    "Other": {
        "fr": ("Demande d'information", "Demande de rappel", "Question sur les conditions générales"),
        "en": ("Information request", "Callback request", "Question about the terms"),
    },
}
COMMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "opened": {
        "fr": (
            "Client en ligne, problème décrit ci-dessus. Vérifications faites, à traiter.",
            "Ticket ouvert pendant l'échange ; le client attend un retour écrit.",
            "Client mécontent, souhaite un retour rapide.",
        ),
    },
    "escalated": {"fr": ("Escaladé au back office pour analyse.", "Pris en charge par le back office.")},
    "ack": {
        "fr": (
            "Bonjour, nous avons bien reçu votre demande et nous la traitons. Nous revenons vers vous rapidement.",
            "Bonjour, votre dossier est pris en charge par notre équipe. Bien cordialement.",
        ),
        "en": (
            "Hello, we have received your request and are looking into it. We will get back to you shortly.",
            "Hello, our team is now handling your case. Kind regards.",
        ),
    },
    "ask": {
        "fr": (
            "Bonjour, pourriez-vous nous envoyer une copie de votre dernière facture afin que nous puissions avancer ?",
            "Bonjour, pourriez-vous nous confirmer votre adresse de livraison ?",
        ),
        "en": (
            "Hello, could you send us a copy of your last invoice so that we can move forward?",
            "Hello, could you confirm your delivery address?",
        ),
    },
    "reply": {"fr": ("Le client a envoyé les éléments demandés.", "Retour du client reçu par email.")},
    "solved": {
        "fr": (
            "Bonjour, votre demande est traitée. N'hésitez pas à nous recontacter si besoin.",
            "Bonjour, la correction a été faite sur votre compte. Bonne journée.",
        ),
        "en": (
            "Hello, your request has been resolved. Do not hesitate to contact us again if needed.",
            "Hello, your account has been corrected. Have a nice day.",
        ),
    },
}
SURVEY_COMMENTS: dict[str, dict[bool, tuple[str, ...]]] = {
    "fr": {
        True: ("Très bon accueil, merci !", "Problème réglé rapidement.", "Conseillère très à l'écoute."),
        False: ("Trop d'attente avant d'avoir quelqu'un.", "Mon problème n'est toujours pas réglé."),
    },
    "en": {
        True: ("Very helpful, thank you!", "Sorted out quickly.", "Friendly and efficient."),
        False: ("Waited far too long.", "My problem is still not solved."),
    },
}


# --- Writing --------------------------------------------------------------------------------


def write_demo(
    rng: random.Random,
    *,
    center: Center,
    people: list[Person],
    world: World,
    now: datetime,
    result: DemoResult,
    progress: TextIO | None = None,
) -> None:
    """Turn the simulated world into rows, validate them and bulk insert them, history included."""
    end = int(now.timestamp())
    users = center.users
    with _keep_given_timestamps(Customer, ContactPoint, Interaction, Ticket, TicketComment, SurveyResponse):
        customers = [p.customer for p in people]
        points = [point for p in people for point in p.points]
        _save(Customer, customers, result, "customers", progress, history=True)
        _save(ContactPoint, points, result, "contact points", progress, exclude=("customer",), history=True)

        tickets, comments = _tickets(rng, center, people, world, end, progress)
        ticket_links = ("customer", "category", "queue", "team", "assignee", "sla_policy")
        _save(Ticket, tickets, result, "tickets", progress, exclude=ticket_links)
        _save(TicketComment, comments, result, "comments", progress, exclude=("ticket", "author"), history=False)

        interactions = [_interaction(c, n, center, people) for n, c in enumerate(world.contacts, start=1)]
        _save(
            Interaction,
            interactions,
            result,
            "interactions",
            progress,
            exclude=("customer", "agent", "queue", "ticket", "disposition", "script_version"),
        )
        for interaction in interactions:
            result.by_channel[interaction.channel] = result.by_channel.get(interaction.channel, 0) + 1

        surveys = _surveys(rng, world.contacts, interactions, people, end)
        _save(SurveyResponse, surveys, result, "surveys", progress, exclude=("interaction",), history=False)

    intervals = _presence(world.agents, users, end)
    _save(PresenceInterval, intervals, result, "presence intervals", progress, exclude=("agent",), history=False)


def _save(
    model: type[models.Model],
    rows: Sequence[models.Model],
    result: DemoResult,
    label: str,
    progress: TextIO | None,
    *,
    exclude: Sequence[str] = (),
    history: bool = True,
) -> None:
    """Validate every row, then insert them in batches (with their history for historied models)."""
    for row in rows:
        # Foreign keys, unique and check constraints: the database checks them (module docstring).
        row.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    with _bar(
        progress, total=len(rows), desc=_("Saving %(what)s") % {"what": count_labels()[label]}, unit=_("row")
    ) as bar:
        for first in range(0, len(rows), BATCH_SIZE):
            batch = list(rows[first : first + BATCH_SIZE])
            if history:
                bulk_create_with_history(batch, model, batch_size=BATCH_SIZE, default_change_reason=HISTORY_REASON)
            else:
                model._default_manager.bulk_create(batch, batch_size=BATCH_SIZE)
            bar.update(len(batch))
    result.created[label] = result.created.get(label, 0) + len(rows)


def _dt(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _interaction(contact: _Contact, number: int, center: Center, people: list[Person]) -> Interaction:
    customer = people[contact.person].customer if contact.person is not None else None
    agent = center.users[contact.agent.username] if contact.agent else None
    disposition = center.dispositions.get(contact.disposition or "")
    offered = _dt(contact.offered)
    last = contact.wrapup or contact.ended or contact.offered
    external_id = f"{INTERACTION_PREFIX}{number:06d}"
    recorded = contact.channel == Channel.VOICE and contact.answered is not None and agent is not None
    if recorded and customer is not None and not customer.consent_recording:
        recorded = False
    interaction = Interaction(
        channel=contact.channel,
        direction=contact.direction,
        customer=customer,
        agent=agent,
        queue=center.queues.get(contact.queue or ""),
        ticket=contact.ticket.obj if contact.ticket else None,
        offered_at=offered,
        answered_at=_dt(contact.answered) if contact.answered is not None else None,
        ended_at=_dt(contact.ended) if contact.ended is not None else None,
        wrapup_ended_at=_dt(contact.wrapup) if contact.wrapup is not None else None,
        hold_seconds=contact.hold,
        disposition=disposition,
        # The resolved flag is the disposition's: what the agent picked says whether it resolves.
        resolved=bool(disposition and disposition.resolves),
        notes=contact.notes,
        sentiment=contact.sentiment,
        script_version=center.script_version_at(offered) if contact.script else None,
        recording=f"recordings/{offered:%Y/%m/%d}/{external_id}.wav" if recorded else "",
        source=DEMO_SOURCE,
        external_id=external_id,
        created_at=offered,
        updated_at=_dt(last),
    )
    interaction._history_user = agent  # type: ignore[attr-defined]
    interaction._history_date = offered  # type: ignore[attr-defined]
    return interaction


def _tickets(
    rng: random.Random, center: Center, people: list[Person], world: World, end: int, progress: TextIO | None
) -> tuple[list[Ticket], list[TicketComment]]:
    """Tickets with their life so far (first response, waiting on the customer, resolution,
    closing) and the comments that tell it; references and SLA due times from the services."""
    plans = list(world.tickets)
    plans.extend(_standalone_tickets(rng, world, people, end))
    plans.sort(key=lambda p: p.created)
    users = center.users
    supervisors = {s.team: users[s.username] for s in STAFF if s.role == Role.SUPERVISOR}
    tickets: list[Ticket] = []
    comments: list[TicketComment] = []
    with _bar(progress, total=len(plans), desc=_("Tickets"), unit=_("ticket")) as bar:
        for plan in plans:
            customer = people[plan.person].customer
            language = "fr" if customer.language == "fr" else "en"
            created = _dt(plan.created)
            policy, first_due, resolution_due = ticket_sla_due(priority=plan.priority, start=created)
            ack = plan.created + _within(rng, first_due, created, 2 * HOUR, 0.85)
            ack = max(ack, plan.created + 2 * MINUTE)
            if plan.resolved_by_contact is not None:
                solved = plan.resolved_by_contact + rng.randint(MINUTE, 15 * MINUTE)
            else:
                solved = plan.created + _within(rng, resolution_due, created, 2 * DAY, 0.8)
            wait_until = None
            if rng.random() < 0.25 and plan.resolved_by_contact is None:
                wait_until = ack + rng.randint(4 * HOUR, 3 * DAY)
                solved = max(solved, wait_until + rng.randint(10 * MINUTE, 8 * HOUR))
            if solved <= ack:
                ack = max(plan.created + MINUTE, solved - rng.randint(MINUTE, 5 * MINUTE))
            closed = solved + 2 * DAY + rng.randint(0, 6 * HOUR)
            if ack > end:
                status = TicketStatus.NEW
            elif wait_until is not None and wait_until > end:
                status = TicketStatus.PENDING
            elif solved > end:
                status = TicketStatus.OPEN
            elif closed > end:
                status = TicketStatus.RESOLVED
            else:
                status = TicketStatus.CLOSED
            assignee_agent = plan.agent if (status != TicketStatus.NEW or rng.random() < 0.6) else None
            assignee = users[assignee_agent.username] if assignee_agent else None
            subject = rng.choice(SUBJECTS[plan.category][language])
            ticket = Ticket(
                reference=f"{TICKET_REFERENCE_PREFIX}{next_reference('ticket'):06d}",
                subject=subject,
                description=f"{subject}. {rng.choice(NOTES.get(plan.disposition, NOTES['ticket-opened']))}",
                customer=customer,
                status=status,
                priority=plan.priority,
                category=center.categories.get(plan.category),
                queue=center.queues.get(plan.queue or ""),
                team=center.teams[assignee_agent.team] if assignee_agent else None,
                assignee=assignee,
                sla_policy=policy,
                first_response_due=first_due,
                resolution_due=resolution_due,
                created_at=created,
            )
            author = assignee or (users[plan.agent.username] if plan.agent else None)
            events: list[tuple[int, str, bool, AbstractBaseUser | None]] = [
                (plan.created + rng.randint(30, 3 * MINUTE), _pick(rng, "opened", "fr"), False, author)
            ]
            if plan.disposition == "escalated" and plan.agent:
                supervisor = supervisors.get(plan.agent.team) or users.get("manager")
                events.append(
                    (plan.created + rng.randint(10 * MINUTE, HOUR), _pick(rng, "escalated", "fr"), False, supervisor)
                )
            events.append((ack, _pick(rng, "ask" if wait_until else "ack", language), True, author))
            if wait_until is not None:
                events.append((wait_until, _pick(rng, "reply", "fr"), False, author))
            events.append((solved, _pick(rng, "solved", language), True, author))
            events = [e for e in events if e[0] <= end]
            for at, body, public, by in events:
                comments.append(TicketComment(ticket=ticket, author=by, body=body, public=public, created_at=_dt(at)))
            # The first response is the first public comment (SPEC §5, tickets/{id}/comments/).
            first_public = min((at for at, _b, public, _by in events if public), default=None)
            ticket.first_responded_at = _dt(first_public) if first_public is not None else None
            if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
                ticket.resolved_at = _dt(solved)
            if status == TicketStatus.CLOSED:
                ticket.closed_at = _dt(closed)
            # One version per change the services would have saved: first response and status
            # change at the acknowledgement, then each later status change.
            changes = [t for t in (ack, ack, wait_until, solved, closed) if t is not None and t <= end]
            ticket.version = 1 + len(changes)
            ticket.updated_at = _dt(max([plan.created, *changes, *(e[0] for e in events)]))
            ticket._history_user = author  # type: ignore[attr-defined]
            ticket._history_date = created  # type: ignore[attr-defined]
            plan.obj = ticket
            tickets.append(ticket)
            bar.update(1)
    return tickets, comments


def _within(rng: random.Random, due: datetime | None, start: datetime, fallback: int, on_time: float) -> int:
    """Seconds after ``start`` that something happens: before ``due`` with probability
    ``on_time``, after it otherwise (SLA breaches are part of a realistic demo)."""
    span = int((due - start).total_seconds()) if due else fallback
    span = max(span, 10 * MINUTE)
    share = rng.uniform(0.05, 0.9) if rng.random() < on_time else rng.uniform(1.05, 2.0)
    return int(span * share)


def _pick(rng: random.Random, kind: str, language: str) -> str:
    texts = COMMENTS[kind]
    return rng.choice(texts.get(language) or texts["fr"])


def _standalone_tickets(rng: random.Random, world: World, people: list[Person], end: int) -> list[_TicketPlan]:
    """About one ticket a day that no call opened (a letter, a web form), for the back office."""
    back = [a for a in world.agents if a.team == BACK]
    with_email = [i for i, p in enumerate(people) if p.has_email]
    if not back or not with_email or not world.contacts:
        return []
    start = min(c.offered for c in world.contacts)
    plans = []
    for _n in range(max(1, (end - start) // DAY)):
        at = rng.randrange(start, end)
        plans.append(
            _TicketPlan(
                created=at,
                person=rng.choice(with_email),
                agent=rng.choice(back),
                queue=EMAIL,
                disposition="ticket-opened",
                priority=_weighted(rng, ((Priority.LOW, 40), (Priority.NORMAL, 60))),
                category=_weighted(rng, CATEGORY_BY_QUEUE[EMAIL]),
            )
        )
    return plans


def _surveys(
    rng: random.Random, contacts: list[_Contact], interactions: list[Interaction], people: list[Person], end: int
) -> list[SurveyResponse]:
    """CSAT on about a quarter of handled contacts whose customer accepts surveys; NPS and CES on
    some of those; scores lean on whether the contact was resolved."""
    responses: list[SurveyResponse] = []
    for contact, interaction in zip(contacts, interactions, strict=True):
        if contact.person is None or contact.agent is None or contact.answered is None:
            continue
        if contact.direction != Direction.INBOUND:
            continue
        customer = people[contact.person].customer
        if not customer.consent_surveys or rng.random() >= 0.25:
            continue
        at = (contact.wrapup or contact.ended or contact.offered) + rng.randint(2 * MINUTE, 36 * HOUR)
        if at > end:
            continue
        good = interaction.resolved
        kinds = [SurveyKind.CSAT]
        if rng.random() < 0.55:
            kinds.append(SurveyKind.NPS)
        if rng.random() < 0.35:
            kinds.append(SurveyKind.CES)
        for kind in kinds:
            score = rng.choices(*_SCORES[kind][good])[0]
            comment = ""
            if kind == SurveyKind.CSAT and rng.random() < 0.2:
                comment = rng.choice(SURVEY_COMMENTS["fr" if customer.language == "fr" else "en"][score >= 4])
            responses.append(
                SurveyResponse(interaction=interaction, kind=kind, score=score, comment=comment, created_at=_dt(at))
            )
    return responses


_SCORES: dict[str, dict[bool, tuple[range, tuple[float, ...]]]] = {
    SurveyKind.CSAT: {
        True: (range(1, 6), (3, 4, 10, 33, 50)),
        False: (range(1, 6), (15, 20, 25, 25, 15)),
    },
    SurveyKind.NPS: {
        True: (range(0, 11), (1, 0.5, 0.5, 1, 1, 2, 3, 6, 12, 14, 12)),
        False: (range(0, 11), (5, 3, 4, 5, 6, 8, 8, 8, 6, 3, 2)),
    },
    SurveyKind.CES: {
        True: (range(1, 8), (2, 3, 5, 10, 20, 30, 30)),
        False: (range(1, 8), (15, 20, 20, 15, 12, 10, 8)),
    },
}


def _presence(agents: list[_Agent], users: dict[str, AbstractBaseUser], end: int) -> list[PresenceInterval]:
    """Each agent's presence log from their shifts: available between contacts, busy in
    conversation, wrap-up after it, breaks with their reason; all closed by ``end`` (agents are
    offline after the demo), none overlapping, and none after an interval already stored."""
    rows: list[PresenceInterval] = []
    existing: dict[int, datetime] = {}
    for agent_id, started in PresenceInterval.objects.filter(
        agent__in=[users[a.username] for a in agents], started_at__lt=_dt(end)
    ).values_list("agent_id", "started_at"):
        existing[agent_id] = min(existing.get(agent_id, started), started)
    for agent in agents:
        user = users[agent.username]
        limit = end
        if user.pk in existing:
            limit = min(limit, int(existing[user.pk].timestamp()))
        spans: list[tuple[str, str, int, int]] = []
        for shift in agent.shifts:
            spans.extend(_shift_spans(shift, limit))
        for status, reason, begin, finish in spans:
            rows.append(
                PresenceInterval(agent=user, status=status, reason=reason, started_at=_dt(begin), ended_at=_dt(finish))
            )
    return rows


def _shift_spans(shift: _Shift, limit: int) -> list[tuple[str, str, int, int]]:
    """(status, reason, start, end) of one shift, cut at ``limit``, merged where alike."""
    items: list[tuple[int, int, str, str]] = []
    for work in shift.work:
        items.append((work.busy_from, work.busy_to, Status.BUSY, ""))
        if work.wrap_to > work.busy_to:
            items.append((work.busy_to, work.wrap_to, Status.WRAP_UP, ""))
    for pause in shift.breaks[: shift.taken]:
        assert pause.start is not None
        items.append((pause.start, pause.start + pause.seconds, Status.BREAK, pause.reason))
    items.sort()
    finish = min(shift.logout if shift.logout is not None else limit, limit)
    spans: list[tuple[str, str, int, int]] = []
    cursor = shift.login
    for begin, stop, status, reason in items:
        if begin >= finish:
            break
        if begin < cursor:
            raise DemoError(_("The simulated presence log overlaps at %(at)s; this is a bug.") % {"at": _dt(begin)})
        if begin > cursor:
            spans.append((Status.AVAILABLE, "", cursor, begin))
        spans.append((status, reason, begin, min(stop, finish)))
        cursor = min(stop, finish)
    if cursor < finish:
        spans.append((Status.AVAILABLE, "", cursor, finish))
    merged: list[tuple[str, str, int, int]] = []
    for span in spans:
        if span[3] <= span[2]:
            continue
        if merged and merged[-1][:2] == span[:2] and merged[-1][3] == span[2]:
            merged[-1] = (span[0], span[1], merged[-1][2], span[3])
        else:
            merged.append(span)
    return merged


# --- Helpers --------------------------------------------------------------------------------


@contextmanager
def _keep_given_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let rows keep the past ``created_at``/``updated_at`` the demo gives them.

    ``auto_now``/``auto_now_add`` fields stamp the insert time on every save, bulk inserts
    included; a ticket resolved last week would then be "resolved before it was created". The
    flags are switched off only for the duration of the load, in this process (a management
    command, single-threaded).
    """
    saved = []
    for model in model_classes:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _bar(progress: TextIO | None, *, total: int, desc: str, unit: str) -> tqdm:
    """A progress bar on ``progress``; a silent one when it is ``None`` (verbosity 0)."""
    return tqdm(total=total, desc=desc, unit=unit, file=progress, disable=progress is None, leave=True)
