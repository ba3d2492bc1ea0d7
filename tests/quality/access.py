"""Access-matrix entries for ``/api/v1/quality/…`` (merged by tests/api/test_access_matrix.py).

The objects belong to team A: agent A's interaction, evaluated by the manager. Scorecards are read
by evaluators (supervisors and up; the quality role too: tests/quality/test_api.py) and written by
managers and admins; an agent sees their own published evaluation and answers it; another
evaluator than the one who scored it decides a dispute; calibration sessions are set up by
managers (and QA evaluators); admins say which teams a QA evaluator covers.
"""

from __future__ import annotations

from contactcenter.core.roles import Role
from contactcenter.quality import services
from contactcenter.quality.models import EvaluatorTeam
from tests.agents.factories import AgentProfileFactory
from tests.api.matrix import Case, statuses, unique
from tests.interactions.factories import InteractionFactory
from tests.quality.factories import DEMO_SECTIONS, FULL_MARKS, answers, published_scorecard

EVALUATORS_READ = statuses(200, agent=403, other_agent=403)
MANAGERS_CREATE = statuses(403, manager=201, admin=201)
MANAGERS_CHANGE = statuses(403, manager=200, admin=200)


def _version(org):
    return published_scorecard(by=org.manager, name=unique("card"))


def _scorecard(org) -> dict:
    return {"pk": _version(org).scorecard_id}


def _published_version(org) -> dict:
    version = _version(org)
    return {"scorecard_pk": version.scorecard_id, "number": version.number}


def _draft(org) -> dict:
    card = services.scorecard_create(name=unique("card"), by=org.manager)
    draft = card.versions.get()
    services.scorecard_version_set_content(version=draft, by=org.manager, sections=DEMO_SECTIONS)
    return {"scorecard_pk": card.pk, "number": draft.number}


def _draft_evaluation(org, *, complete: bool = False):
    version = _version(org)
    evaluation = services.evaluation_start(
        interaction=InteractionFactory(agent=org.agent_a, queue=org.queue_a), by=org.manager, version=version
    )
    if complete:
        services.evaluation_save(evaluation=evaluation, by=org.manager, answers=answers(version, **FULL_MARKS))
    return evaluation


def _published_evaluation(org):
    evaluation = _draft_evaluation(org, complete=True)
    return services.evaluation_publish(evaluation=evaluation, by=org.manager)


def _dispute(org):
    evaluation = _published_evaluation(org)
    return services.evaluation_dispute(evaluation=evaluation, by=org.agent_a, reason="Unfair")


def _session(org, *, closed: bool = False):
    version = _version(org)
    session = services.calibration_create(
        title=unique("calibration"),
        interaction=InteractionFactory(agent=org.agent_a, queue=org.queue_a),
        version=version,
        evaluators=[org.supervisor_a, org.admin],
        by=org.manager,
    )
    if closed:
        services.calibration_close(session=session, by=org.manager)
    return session


def _qa_user(org):
    return AgentProfileFactory(user__username=unique("qa"), role=Role.QUALITY, team=None).user


def _evaluator_team(org) -> dict:
    return {"pk": EvaluatorTeam.objects.create(user=_qa_user(org), team=org.team_a).pk}


ENTRIES = {
    ("quality-scorecard-list", "get"): Case(EVALUATORS_READ),
    ("quality-scorecard-list", "post"): Case(MANAGERS_CREATE, body=lambda org: {"name": unique("card")}),
    ("quality-scorecard-detail", "get"): Case(EVALUATORS_READ, kwargs=_scorecard),
    ("quality-scorecard-detail", "patch"): Case(
        MANAGERS_CHANGE, kwargs=_scorecard, body=lambda org: {"description": "Calls"}
    ),
    ("quality-version-list", "get"): Case(
        EVALUATORS_READ, kwargs=lambda org: {"scorecard_pk": _version(org).scorecard_id}
    ),
    ("quality-version-list", "post"): Case(
        MANAGERS_CREATE, kwargs=lambda org: {"scorecard_pk": _version(org).scorecard_id}
    ),
    ("quality-version-detail", "get"): Case(EVALUATORS_READ, kwargs=_published_version),
    # A draft: not even seen by the evaluators who do not write scorecards.
    ("quality-version-detail", "patch"): Case(
        MANAGERS_CHANGE, kwargs=_draft, body=lambda org: {"sections": DEMO_SECTIONS}
    ),
    ("quality-version-publish", "post"): Case(MANAGERS_CHANGE, kwargs=_draft),
    ("quality-evaluation-list", "get"): Case(statuses(200)),
    # Agent A's interaction: team A's supervisor, managers and admins evaluate it.
    ("quality-evaluation-list", "post"): Case(
        statuses(201, agent=403, other_agent=403),
        body=lambda org: {
            "interaction": InteractionFactory(agent=org.agent_a, queue=org.queue_a).pk,
            "version": _version(org).pk,
        },
    ),
    ("quality-evaluation-detail", "get"): Case(
        statuses(200, other_agent=404), kwargs=lambda org: {"pk": _published_evaluation(org).pk}
    ),
    # The manager's draft: theirs to fill and publish; the admin sees it, the supervisor does not.
    ("quality-evaluation-answers", "post"): Case(
        statuses(403, supervisor=404, manager=200),
        kwargs=lambda org: {"pk": _draft_evaluation(org).pk},
        body=lambda org: {"answers": [], "comment": "So far"},
    ),
    ("quality-evaluation-publish", "post"): Case(
        statuses(403, supervisor=404, manager=200),
        kwargs=lambda org: {"pk": _draft_evaluation(org, complete=True).pk},
    ),
    # Agent A's published evaluation: theirs to answer.
    ("quality-evaluation-acknowledge", "post"): Case(
        statuses(403, agent=200, other_agent=404), kwargs=lambda org: {"pk": _published_evaluation(org).pk}
    ),
    ("quality-evaluation-dispute", "post"): Case(
        statuses(403, agent=201, other_agent=404),
        kwargs=lambda org: {"pk": _published_evaluation(org).pk},
        body=lambda org: {"reason": "I did identify the customer"},
    ),
    ("quality-dispute-list", "get"): Case(statuses(200)),
    ("quality-dispute-detail", "get"): Case(
        statuses(200, other_agent=404), kwargs=lambda org: {"pk": _dispute(org).pk}
    ),
    # The manager scored it: another evaluator decides.
    ("quality-dispute-decide", "post"): Case(
        statuses(200, agent=403, other_agent=403, manager=403),
        kwargs=lambda org: {"pk": _dispute(org).pk},
        body=lambda org: {"decision": "upheld", "comment": "The evaluation stands"},
    ),
    ("quality-calibration-list", "get"): Case(EVALUATORS_READ),
    ("quality-calibration-list", "post"): Case(
        MANAGERS_CREATE,
        body=lambda org: {
            "title": unique("calibration"),
            "interaction": InteractionFactory(agent=org.agent_a, queue=org.queue_a).pk,
            "version": _version(org).pk,
            "evaluators": ["supervisor_a", "admin_user"],
        },
    ),
    ("quality-calibration-detail", "get"): Case(EVALUATORS_READ, kwargs=lambda org: {"pk": _session(org).pk}),
    ("quality-calibration-report", "get"): Case(
        EVALUATORS_READ, kwargs=lambda org: {"pk": _session(org, closed=True).pk}
    ),
    ("quality-calibration-close", "post"): Case(MANAGERS_CHANGE, kwargs=lambda org: {"pk": _session(org).pk}),
    ("quality-evaluator-team-list", "get"): Case(statuses(403, manager=200, admin=200)),
    ("quality-evaluator-team-list", "post"): Case(
        statuses(403, admin=201), body=lambda org: {"user": _qa_user(org).username, "team": "Team A"}
    ),
    ("quality-evaluator-team-detail", "get"): Case(statuses(403, manager=200, admin=200), kwargs=_evaluator_team),
    ("quality-evaluator-team-detail", "delete"): Case(statuses(403, admin=204), kwargs=_evaluator_team),
}
