"""The demo center as it is set up: teams, skills, queues, staff accounts (with the demo password)
and the two published versions of the inbound call script; the marks that tell demo rows apart.

Plain data, looked up by name and created when missing by ``contactcenter.demo.writer.organisation``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contactcenter.demo.simulator.common import HOUR
from contactcenter.demo.simulator.values import Channel, Role

#: The password of every account the demo creates. Public on purpose: never load the demo on an
#: instance reachable by people who should not log in.
DEMO_PASSWORD = "switchboard"  # noqa: S105
#: ``Interaction.source`` of demo interactions; with the id prefixes below it is how ``--reset``
#: finds the demo's rows and nothing else.
DEMO_SOURCE = "demo"
CUSTOMER_PREFIX = "demo-c-"
INTERACTION_PREFIX = "demo-i-"

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


@dataclass(frozen=True)
class QueueSpec:
    """A queue: its channel, service level goal (answered within so many seconds, share) and skills."""

    name: str
    channel: str
    service_level_seconds: int
    service_level_target: float
    skills: tuple[str, ...]


@dataclass(frozen=True)
class StaffSpec:
    """A staff account: login, role, name, and for agents and supervisors team, queues and skills."""

    username: str
    role: str
    first_name: str
    last_name: str
    team: str | None = None
    queues: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    superuser: bool = False

    @property
    def extension(self) -> str:
        """The demo phone extension: agent1 → 1001, agent2 → 1002…, supervisor1 → 1101…; none for
        the manager and the admin (they place no calls)."""
        for prefix, base in (("agent", 1000), ("supervisor", 1100)):
            number = self.username.removeprefix(prefix)
            if number != self.username and number.isdigit():
                return str(base + int(number))
        return ""


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
    # The QA evaluator: covers the Front office and Premium teams (contactcenter/demo/content/quality.py).
    StaffSpec("quality", Role.QUALITY, "Nadia", "Benali"),
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
SCRIPT_DESCRIPTION = "Greeting, identification and call reasons."
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


#: The supervisor of each team, by username: an escalated ticket's internal note is theirs.
SUPERVISORS: dict[str, str] = {spec.team: spec.username for spec in STAFF if spec.role == Role.SUPERVISOR and spec.team}
#: The agents, in the order the simulation numbers them.
AGENTS: tuple[StaffSpec, ...] = tuple(spec for spec in STAFF if spec.role == Role.AGENT)
