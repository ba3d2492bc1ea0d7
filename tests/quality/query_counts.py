"""Exact query counts of ``/api/v1/quality/…`` (merged into tests/api/test_query_counts.py, which
measures them over 3 and 10 rows: the same count both times).

Every request starts with the token (user, profile and team joined). Counts of writes include the
test's savepoint and its release (two queries less in production).
"""

from __future__ import annotations

from typing import Any

from contactcenter.core.roles import Role
from contactcenter.quality import services
from tests.agents.factories import AgentProfileFactory
from tests.api.matrix import unique
from tests.interactions.factories import InteractionFactory
from tests.quality.factories import DEMO_SECTIONS, FULL_MARKS, answers, published_scorecard


def _rows(org, rows: int) -> None:
    """``rows`` scorecards; ``rows`` published evaluations of agent A's interactions, each
    disputed; ``rows`` calibration sessions, closed, each scored by two evaluators; what the
    detail calls act on kept on ``org``."""
    org.version = version = published_scorecard(by=org.manager, name=unique("card"))
    for _ in range(rows - 1):
        published_scorecard(by=org.manager, name=unique("card"))
    for _ in range(rows):
        evaluation = _draft(org, complete=True)
        services.evaluation_publish(evaluation=evaluation, by=org.manager)
        org.dispute = services.evaluation_dispute(evaluation=evaluation, by=org.agent_a, reason="Unfair")
        org.evaluation = evaluation
    for _ in range(rows):
        session = services.calibration_create(
            title=unique("calibration"),
            interaction=InteractionFactory(agent=org.agent_a, queue=org.queue_a),
            version=version,
            evaluators=[org.supervisor_a, org.admin],
            by=org.manager,
        )
        for user in (org.supervisor_a, org.admin):
            made = services.evaluation_start(interaction=session.interaction, by=user, calibration=session)
            services.evaluation_save(evaluation=made, by=user, answers=answers(version, **FULL_MARKS))
            services.evaluation_publish(evaluation=made, by=user)
        services.calibration_close(session=session, by=org.manager)
        org.session = session


def _draft(org, *, complete: bool = False):
    evaluation = services.evaluation_start(
        interaction=InteractionFactory(agent=org.agent_a, queue=org.queue_a), by=org.manager, version=org.version
    )
    if complete:
        services.evaluation_save(evaluation=evaluation, by=org.manager, answers=answers(org.version, **FULL_MARKS))
    return evaluation


def _new_draft_version(org):
    card = services.scorecard_create(name=unique("card"), by=org.manager)
    draft = card.versions.get()
    services.scorecard_version_set_content(version=draft, by=org.manager, sections=DEMO_SECTIONS)
    return draft


def endpoints(Endpoint: Any, Call: Any, route: Any) -> dict[tuple[str, str], Any]:
    version = lambda org: {"scorecard_pk": org.version.scorecard_id, "number": org.version.number}  # noqa: E731
    return {
        # 2: token; the page of scorecards with their queue and creator, the latest published number and the open
        # draft as subqueries.
        ("quality-scorecard-list", "get"): Endpoint(
            2, "supervisor", lambda org, n: Call("get", route("quality-scorecard-list")), _rows
        ),
        # 8 (6 in production): token; the name's uniqueness (serializer); savepoint; the name again (full_clean);
        # insert the scorecard and its draft; release; the answer read as the list reads it.
        ("quality-scorecard-list", "post"): Endpoint(
            8,
            "manager",
            lambda org, n: Call("post", route("quality-scorecard-list"), {"name": unique("card")}),
            _rows,
            status=201,
        ),
        # 2: token; the scorecard as the list reads it.
        ("quality-scorecard-detail", "get"): Endpoint(
            2,
            "supervisor",
            lambda org, n: Call("get", route("quality-scorecard-detail", pk=org.version.scorecard_id)),
            _rows,
        ),
        # 7 (5 in production): token; the scorecard; the name's uniqueness (serializer); savepoint; update;
        # release; the answer.
        ("quality-scorecard-detail", "patch"): Endpoint(
            7,
            "manager",
            lambda org, n: Call(
                "patch", route("quality-scorecard-detail", pk=org.version.scorecard_id), {"description": f"v{n}"}
            ),
            _rows,
        ),
        # 5: token; the scorecard if visible; the page of versions with their publisher; their sections; the
        # sections' criteria (prefetched: the same for 3 or 10 scorecards).
        ("quality-version-list", "get"): Endpoint(
            5,
            "supervisor",
            lambda org, n: Call("get", route("quality-version-list", scorecard_pk=org.version.scorecard_id)),
            _rows,
        ),
        # 16 (14 in production): token; the scorecard if visible; savepoint; the scorecard locked; is a draft open;
        # the last number; the latest published version; insert the draft; its source's criteria and sections;
        # sections and criteria copied in bulk (two inserts); release; the answer (version, sections, criteria).
        ("quality-version-list", "post"): Endpoint(
            16,
            "manager",
            lambda org, n: Call(
                "post",
                route(
                    "quality-version-list",
                    scorecard_pk=published_scorecard(by=org.manager, name=unique("card")).scorecard_id,
                ),
            ),
            _rows,
            status=201,
        ),
        # 5: token; the scorecard if visible; the version with its publisher; its sections; their criteria.
        ("quality-version-detail", "get"): Endpoint(
            5, "supervisor", lambda org, n: Call("get", route("quality-version-detail", **version(org))), _rows
        ),
        # 18 (16 in production): token; the scorecard; the version with its content (the state checked); savepoint;
        # the version locked; the old sections and criteria deleted (the collector reads then deletes each);
        # sections and criteria inserted in bulk; release; the answer (version, sections, criteria).
        ("quality-version-detail", "patch"): Endpoint(
            18,
            "manager",
            lambda org, n: Call(
                "patch",
                route(
                    "quality-version-detail", scorecard_pk=(d := _new_draft_version(org)).scorecard_id, number=d.number
                ),
                {"sections": DEMO_SECTIONS},
            ),
            _rows,
        ),
        # 17 (15 in production): token; the scorecard; the version with its content; savepoint; the scorecard and the
        # version locked; the criteria's keys; the version's state (its save refuses a published one), its
        # uniqueness checks and update; release; the answer.
        ("quality-version-publish", "post"): Endpoint(
            17,
            "manager",
            lambda org, n: Call(
                "post",
                route(
                    "quality-version-publish", scorecard_pk=(d := _new_draft_version(org)).scorecard_id, number=d.number
                ),
            ),
            _rows,
        ),
        # 2: token; the page of evaluations with their interaction, version, scorecard, evaluator, agent and
        # session joined (the supervisor's team as a condition, no further read).
        ("quality-evaluation-list", "get"): Endpoint(
            2, "supervisor", lambda org, n: Call("get", route("quality-evaluation-list")), _rows
        ),
        # 11 (9 in production): token; the interaction if visible; the version if visible; savepoint; the agent and
        # whether the supervisor covers them; the interaction's agent; full_clean's reads; insert and its history
        # row; release; the answer (evaluation, answers, disputes).
        ("quality-evaluation-list", "post"): Endpoint(
            11,
            "manager",
            lambda org, n: Call(
                "post",
                route("quality-evaluation-list"),
                {"interaction": InteractionFactory(agent=org.agent_a, queue=org.queue_a).pk, "version": org.version.pk},
            ),
            _rows,
            status=201,
        ),
        # 4: token; the evaluation if the agent sees it (published to them), with its joins; its answers with their
        # criteria; its dispute.
        ("quality-evaluation-detail", "get"): Endpoint(
            4, "agent", lambda org, n: Call("get", route("quality-evaluation-detail", pk=org.evaluation.pk)), _rows
        ),
        # 20 (18 in production): token; the evaluation if visible; savepoint; it locked; the version's
        # criteria; the answers stored; each of the 4 answers inserted with its history row (8); the
        # comment's update and history row; release; the answer (evaluation, answers, dispute). Grows
        # with the criteria sent, not with the rows.
        ("quality-evaluation-answers", "post"): Endpoint(
            20,
            "manager",
            lambda org, n: Call(
                "post",
                route("quality-evaluation-answers", pk=_draft(org).pk),
                {"answers": answers(org.version, **FULL_MARKS), "comment": "Clear"},
            ),
            _rows,
        ),
        # 14 (12 in production): token; the evaluation if visible; savepoint; it locked; the criteria; the
        # evaluation with its answers (scored); update and history row; the training rules pending for the
        # agent (the scored hook, quality.rules); release; the answer (3). The live event costs no query.
        ("quality-evaluation-publish", "post"): Endpoint(
            14,
            "manager",
            lambda org, n: Call("post", route("quality-evaluation-publish", pk=_draft(org, complete=True).pk)),
            _rows,
        ),
        # 10 (8 in production): token; the evaluation if the agent sees it; savepoint; it locked; the role; update
        # and history row; release; the answer (3).
        ("quality-evaluation-acknowledge", "post"): Endpoint(
            10,
            "agent",
            lambda org, n: Call(
                "post",
                route(
                    "quality-evaluation-acknowledge",
                    pk=services.evaluation_publish(evaluation=_draft(org, complete=True), by=org.manager).pk,
                ),
            ),
            _rows,
        ),
        # 9 (7 in production): token; the evaluation; savepoint; it locked; insert the dispute and its history row;
        # the evaluation updated with its history row; release. The answer is the dispute as made.
        ("quality-evaluation-dispute", "post"): Endpoint(
            9,
            "agent",
            lambda org, n: Call(
                "post",
                route(
                    "quality-evaluation-dispute",
                    pk=services.evaluation_publish(evaluation=_draft(org, complete=True), by=org.manager).pk,
                ),
                {"reason": "Unfair"},
            ),
            _rows,
            status=201,
        ),
        # 2: token; the page of disputes with their evaluation, scorecard and people joined.
        ("quality-dispute-list", "get"): Endpoint(
            2, "supervisor", lambda org, n: Call("get", route("quality-dispute-list")), _rows
        ),
        # 2: token; the dispute if the agent sees its evaluation.
        ("quality-dispute-detail", "get"): Endpoint(
            2, "agent", lambda org, n: Call("get", route("quality-dispute-detail", pk=org.dispute.pk)), _rows
        ),
        # 12 (10 in production): token; the dispute if visible; savepoint; it locked; may the supervisor see its
        # evaluation; the evaluation locked; its update and history row; the dispute's update and history row;
        # release; the answer.
        ("quality-dispute-decide", "post"): Endpoint(
            12,
            "supervisor",
            lambda org, n: Call(
                "post",
                route(
                    "quality-dispute-decide",
                    pk=services.evaluation_dispute(
                        evaluation=services.evaluation_publish(evaluation=_draft(org, complete=True), by=org.manager),
                        by=org.agent_a,
                        reason="Unfair",
                    ).pk,
                ),
                {"decision": "upheld", "comment": "It stands"},
            ),
            _rows,
        ),
        # 3: token; the page of sessions (the supervisor's: set up or sat in) with how many published; their
        # evaluators (prefetched).
        ("quality-calibration-list", "get"): Endpoint(
            3, "supervisor", lambda org, n: Call("get", route("quality-calibration-list")), _rows
        ),
        # 13 (11 in production): token; the interaction if visible; the version; the evaluators by username;
        # savepoint; their roles (profiles); insert; the evaluators set (read, insert); release; the answer (2).
        ("quality-calibration-list", "post"): Endpoint(
            13,
            "manager",
            lambda org, n: Call(
                "post",
                route("quality-calibration-list"),
                {
                    "title": unique("calibration"),
                    "interaction": InteractionFactory(agent=org.agent_a, queue=org.queue_a).pk,
                    "version": org.version.pk,
                    "evaluators": ["supervisor_a", "admin_user"],
                },
            ),
            _rows,
            status=201,
        ),
        # 3: token; the session with its counts; its evaluators.
        ("quality-calibration-detail", "get"): Endpoint(
            3, "supervisor", lambda org, n: Call("get", route("quality-calibration-detail", pk=org.session.pk)), _rows
        ),
        # 6: token; the session; the version's criteria with their sections; the published evaluations with their
        # evaluators; their answers (prefetched); the evaluators of the session are not read again.
        ("quality-calibration-report", "get"): Endpoint(
            6, "supervisor", lambda org, n: Call("get", route("quality-calibration-report", pk=org.session.pk)), _rows
        ),
        # 11 (9 in production): token; the session; savepoint; it locked; the creator's evaluation (the reference);
        # drafts deleted (read, delete); full_clean; update; release; the answer (2).
        ("quality-calibration-close", "post"): Endpoint(
            11,
            "manager",
            lambda org, n: Call(
                "post",
                route(
                    "quality-calibration-close",
                    pk=services.calibration_create(
                        title=unique("calibration"),
                        interaction=InteractionFactory(agent=org.agent_a, queue=org.queue_a),
                        version=org.version,
                        evaluators=[org.supervisor_a, org.admin],
                        by=org.manager,
                    ).pk,
                ),
                {},
            ),
            _rows,
        ),
        # 2: token; the page of assignments with their user and team.
        ("quality-evaluator-team-list", "get"): Endpoint(
            2, "manager", lambda org, n: Call("get", route("quality-evaluator-team-list")), _qa_rows
        ),
        # 8 (6 in production): token; the user and the team by name; savepoint; the user's role (profile); the
        # pair's uniqueness; insert; release.
        ("quality-evaluator-team-list", "post"): Endpoint(
            8,
            "admin",
            lambda org, n: Call(
                "post", route("quality-evaluator-team-list"), {"user": _qa(org).username, "team": "Team A"}
            ),
            _qa_rows,
            status=201,
        ),
        # 2: token; the assignment with its user and team.
        ("quality-evaluator-team-detail", "get"): Endpoint(
            2, "manager", lambda org, n: Call("get", route("quality-evaluator-team-detail", pk=org.link.pk)), _qa_rows
        ),
        # 5 (3 in production): token; the assignment; savepoint; delete; release.
        ("quality-evaluator-team-detail", "delete"): Endpoint(
            5,
            "admin",
            lambda org, n: Call(
                "delete",
                route(
                    "quality-evaluator-team-detail",
                    pk=services.evaluator_team_add(user=_qa(org), team=org.team_b, by=None).pk,
                ),
            ),
            _qa_rows,
            status=204,
        ),
    }


def _qa(org):
    return AgentProfileFactory(user__username=unique("qa"), role=Role.QUALITY, team=None).user


def _qa_rows(org, rows: int) -> None:
    for _ in range(rows):
        org.link = services.evaluator_team_add(user=_qa(org), team=org.team_a, by=None)
