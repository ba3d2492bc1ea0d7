"""Survey answers: CSAT on about a quarter of handled inbound contacts whose customer accepts
surveys, NPS and CES on some of those, scores leaning on whether the contact was resolved, and
now and then a comment.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from contactcenter.demo.simulator.common import HOUR, MINUTE
from contactcenter.demo.simulator.people import Person
from contactcenter.demo.simulator.texts import SURVEY_COMMENTS
from contactcenter.demo.simulator.values import Direction, SurveyKind
from contactcenter.demo.simulator.world import Contact

#: Scores and their weights, by kind of survey and whether the contact was resolved.
SCORES: dict[str, dict[bool, tuple[range, tuple[float, ...]]]] = {
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


@dataclass(frozen=True)
class SurveyAnswer:
    """An answer about the ``contact``-th contact of the world (in offered order)."""

    contact: int
    kind: str
    score: int
    comment: str
    at: int


def survey_answers(
    rng: random.Random, contacts: list[Contact], people: list[Person], *, resolving: frozenset[str], end: int
) -> list[SurveyAnswer]:
    """The answers received by ``end`` about ``contacts``; ``resolving`` holds the disposition
    codes that resolve a contact."""
    answers: list[SurveyAnswer] = []
    for number, contact in enumerate(contacts):
        at = _surveyed_at(rng, contact, people, end)
        if at is None:
            continue
        assert contact.person is not None
        language = people[contact.person].customer.language
        answers.extend(_answers(rng, number, contact.disposition in resolving, language, at))
    return answers


def _surveyed_at(rng: random.Random, contact: Contact, people: list[Person], end: int) -> int | None:
    """When the customer answered a survey about ``contact``; ``None`` when they were not asked
    (no known customer, not handled by an agent, outbound, no consent), did not answer, or have
    not yet by ``end``."""
    if contact.person is None or contact.agent is None or contact.answered is None:
        return None
    if contact.direction != Direction.INBOUND:
        return None
    if not people[contact.person].customer.consent_surveys or rng.random() >= 0.25:
        return None
    at = (contact.wrapup or contact.ended or contact.offered) + rng.randint(2 * MINUTE, 36 * HOUR)
    return None if at > end else at


def _answers(rng: random.Random, number: int, good: bool, language: str, at: int) -> list[SurveyAnswer]:
    """CSAT, and NPS and CES for some, about the ``number``-th contact; ``good``: it was resolved."""
    kinds = [SurveyKind.CSAT]
    if rng.random() < 0.55:
        kinds.append(SurveyKind.NPS)
    if rng.random() < 0.35:
        kinds.append(SurveyKind.CES)
    answers = []
    for kind in kinds:
        score = rng.choices(*SCORES[kind][good])[0]
        comment = ""
        if kind == SurveyKind.CSAT and rng.random() < 0.2:
            comment = rng.choice(SURVEY_COMMENTS["fr" if language == "fr" else "en"][score >= 4])
        answers.append(SurveyAnswer(contact=number, kind=kind, score=score, comment=comment, at=at))
    return answers
