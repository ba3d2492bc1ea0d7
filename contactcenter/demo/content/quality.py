"""Demo quality management (``manage.py demo`` loads it): the published scorecard "Inbound calls"
(Greeting, Identification (critical), Solution, Closing), the QA evaluator ``quality`` covering
the Front office and Premium teams, and a few evaluations of the newest answered calls of the
Front office: published, one acknowledged by its agent, one disputed (waiting for a reviewer), one
with the critical criterion failed.

The scorecard is looked up by name and the evaluations are made only when the scorecard has none:
running the demo twice creates nothing the second time. Everything goes through the services.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from contactcenter.agents.models import Team
from contactcenter.quality import services
from contactcenter.quality.models import Criterion, Evaluation, EvaluatorTeam, Scorecard, VersionState
from interactions.models import Interaction

SCORECARD_NAME = "Inbound calls"
SECTIONS: list[dict[str, Any]] = [
    {
        "title": "Opening",
        "criteria": [
            {
                "key": "greeting",
                "title": "Greeting",
                "weight": 2,
                "guidance": "The company's name and the agent's first name, in a friendly tone.",
            },
            {
                "key": "identification",
                "title": "Identification",
                "weight": 3,
                "critical": True,
                "guidance": "Name, address and date of birth checked before any account detail is given.",
            },
        ],
    },
    {
        "title": "Handling",
        "criteria": [
            {
                "key": "solution",
                "title": "Solution",
                "weight": 4,
                "scale": "points",
                "max_points": 4,
                "guidance": "0: none; 2: partial or wrong next step; 4: solved, or the right next step explained.",
            },
            {
                "key": "closing",
                "title": "Closing",
                "weight": 1,
                "allow_na": True,
                "guidance": "Summary, anything else, goodbye. Not applicable when the caller hung up.",
            },
        ],
    },
]
COVERED_TEAMS = ("Front office", "Premium")
#: The demo evaluations: greeting, identification, solution, closing ("na": not applicable).
ANSWERS: tuple[tuple[Any, ...], ...] = (
    (1, 1, 4, 1),
    (1, 1, 3, "na"),
    (0, 1, 2, 1),
    (1, 0, 4, 1),  # identification failed: the evaluation fails
    (1, 1, 4, 0),
    (1, 1, 1, 1),
)


def load_quality_demo(*, users: dict[str, AbstractBaseUser], created: dict[str, int]) -> None:
    """The demo scorecard, the QA evaluator's teams and the demo evaluations (see the module)."""
    manager, evaluator = users["manager"], users["quality"]
    for team in Team.objects.filter(name__in=COVERED_TEAMS):
        if not EvaluatorTeam.objects.filter(user=evaluator, team=team).exists():
            services.evaluator_team_add(user=evaluator, team=team, by=None)
    scorecard = Scorecard.objects.filter(name=SCORECARD_NAME).first()
    if scorecard is None:
        scorecard = services.scorecard_create(
            name=SCORECARD_NAME,
            by=manager,
            channel="voice",
            description="What every inbound call is scored on.",
        )
        draft = scorecard.versions.get()
        services.scorecard_version_set_content(version=draft, by=manager, sections=SECTIONS)
        services.scorecard_version_publish(version=draft, by=manager)
        created["scorecards"] = created.get("scorecards", 0) + 1
    version = scorecard.versions.filter(state=VersionState.PUBLISHED).order_by("-number").first()
    if version is None or Evaluation.objects.filter(version__scorecard=scorecard).exists():
        return
    calls = list(
        Interaction.objects.filter(
            channel="voice",
            answered_at__isnull=False,
            agent__agent_profile__team__name="Front office",
            agent__agent_profile__role="agent",
        )
        .select_related("agent")
        .order_by("-offered_at", "-pk")[: len(ANSWERS)]
    )
    criteria = {c.key: c for c in Criterion.objects.filter(section__version=version)}
    keys = ("greeting", "identification", "solution", "closing")
    made = []
    for index, (call, values) in enumerate(zip(calls, ANSWERS, strict=False)):
        by = evaluator if index % 3 else users["supervisor1"]
        evaluation = services.evaluation_start(interaction=call, by=by, version=version)
        answers = [
            {
                "criterion": criteria[key].pk,
                "value": None if value == "na" else value,
                "not_applicable": value == "na",
                "comment": "" if value else "Missed: see the guidance.",
            }
            for key, value in zip(keys, values, strict=True)
        ]
        services.evaluation_save(evaluation=evaluation, by=by, answers=answers, comment="Demo evaluation.")
        made.append(services.evaluation_publish(evaluation=evaluation, by=by))
    if made:
        services.evaluation_acknowledge(evaluation=made[0], by=made[0].agent)
    if len(made) > 3:
        services.evaluation_dispute(
            evaluation=made[3], by=made[3].agent, reason="I checked the date of birth before giving the balance."
        )
    created["evaluations"] = created.get("evaluations", 0) + len(made)
