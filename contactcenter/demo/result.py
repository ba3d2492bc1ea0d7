"""What a run of the demo did (:class:`DemoResult`), and the words the command reports it with."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Login:
    """A demo staff account; ``created`` is False when it existed before this run."""

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


def count(counts: dict[str, int], key: str, number: int = 1) -> None:
    """Add ``number`` to ``counts[key]`` (a key of :func:`count_labels`)."""
    counts[key] = counts.get(key, 0) + number


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
        "queue routings": _("queue routings offering tickets"),
        "scorecards": _("quality scorecards"),
        "evaluations": _("quality evaluations"),
    }
