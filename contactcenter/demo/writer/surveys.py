"""The surveys phase: the simulator's survey answers become ``SurveyResponse`` rows on the
interactions they are about.
"""

from __future__ import annotations

import random
from typing import TextIO

from contactcenter.demo.result import DemoResult
from contactcenter.demo.simulator.common import moment
from contactcenter.demo.simulator.people import Person
from contactcenter.demo.simulator.surveys import survey_answers
from contactcenter.demo.simulator.world import World
from contactcenter.demo.writer.bulk import save_rows
from contactcenter.demo.writer.organisation import Center
from interactions.models import Interaction, SurveyResponse


def save_surveys(
    rng: random.Random,
    *,
    center: Center,
    people: list[Person],
    world: World,
    interactions: list[Interaction],
    end: int,
    result: DemoResult,
    progress: TextIO | None,
) -> None:
    """Write the answers received by ``end``; ``interactions`` are the world's contacts' rows."""
    answers = survey_answers(rng, world.contacts, people, resolving=center.resolving, end=end)
    responses = [
        SurveyResponse(
            interaction=interactions[answer.contact],
            kind=answer.kind,
            score=answer.score,
            comment=answer.comment,
            created_at=moment(answer.at),
        )
        for answer in answers
    ]
    save_rows(SurveyResponse, responses, result, "surveys", progress, exclude=("interaction",), history=False)
