"""Who may change what, field by field: every writable field of every write endpoint of
``/api/v1/`` as an agent, a supervisor, a manager and an admin (integration accounts are users
with one of these roles), with the outcome each must get.

- allowed: a 2xx answer and the field stored as sent;
- refused: 403/404, or 400 naming the field, and the row as it was (a create creates nothing).

The matrix is the table of docs/security.md ("Who may change what"). A write endpoint or a
writable field that appears in the API (its OpenAPI request bodies, drawn from the serializers)
without a line here fails :func:`test_every_writable_field_is_in_the_matrix`: a new field is
reviewed before it ships. Beside it: each role's admin permissions for the back office
(knowledge, training, scripts, the organisation), and ``Idempotency-Key`` replays across roles.
The center is built once for the module; each test runs in a savepoint rolled back after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from contactcenter.agents.models import AgentProfile, Queue, Team
from contactcenter.agents.services import agent_update
from contactcenter.distribution.models import Callback
from contactcenter.distribution.services import callback_create
from contactcenter.mail.models import Mailbox
from contactcenter.mail.services import mailbox_create
from contactcenter.quality import services as quality
from contactcenter.quality.models import Dispute, Evaluation, EvaluatorTeam, Scorecard
from contactcenter.scripts.models import Script
from contactcenter.training.models import LessonCompletion, QuizAttempt
from customers.models import Customer
from interactions.models import (
    CtiEvent,
    Disposition,
    Interaction,
    SurveyResponse,
    Ticket,
    TicketCategory,
    TicketComment,
)
from interactions.services import interaction_log, interaction_update
from tests.agents.factories import AgentProfileFactory, QueueFactory, TeamFactory
from tests.customers.factories import CustomerFactory
from tests.interactions.factories import InteractionFactory, TicketFactory
from tests.quality.factories import DEMO_SECTIONS, FULL_MARKS, answers, published_scorecard
from tests.scripts.factories import make_published, steps
from tests.training.factories import all_right, assign, lessons_of, make_course

pytestmark = pytest.mark.django_db

ROLES = ("agent", "supervisor", "manager", "admin")
API = "/api/v1"


# --- The center, built once for the module -------------------------------------------------------


def _build() -> SimpleNamespace:
    team_a, team_b = TeamFactory(name="Team A"), TeamFactory(name="Team B")
    queue_a, queue_b = QueueFactory(name="Queue A"), QueueFactory(name="Queue B")

    def person(username: str, role: str, team: Team | None, queues: list[Queue]) -> Any:
        return AgentProfileFactory(user__username=username, role=role, team=team, queues=queues).user

    w = SimpleNamespace(team_a=team_a, team_b=team_b, queue_a=queue_a, queue_b=queue_b)
    w.agent_a = person("agent_a", "agent", team_a, [queue_a])
    w.agent_a2 = person("agent_a2", "agent", team_a, [queue_a])  # agent A's colleague
    w.agent_b = person("agent_b", "agent", team_b, [queue_b])  # another team's agent
    w.supervisor_a = person("supervisor_a", "supervisor", team_a, [queue_a])
    w.manager = person("manager", "manager", None, [])
    w.admin = person("admin_user", "admin", None, [])
    w.customer, w.customer2, w.duplicate = CustomerFactory(), CustomerFactory(), CustomerFactory()
    Disposition.objects.get_or_create(code="matrix-sale", defaults={"label": "Sale"})
    TicketCategory.objects.get_or_create(name="Matrix billing")
    w.script, w.version = make_published(name="Matrix script", queues=[queue_a])

    def contact(agent: Any, queue: Queue, **extra: Any) -> Interaction:
        return InteractionFactory(agent=agent, queue=queue, customer=w.customer, **extra)

    # Over and logged, but the after-call work still on: what a wrap-up log ends.
    # Each from the telephony system (a source and an id there), but one agent A logged by hand.
    w.contact_a = contact(w.agent_a, queue_a, wrapup_ended_at=None, source="pbx", external_id="call-a")
    w.contact_a2 = contact(w.agent_a2, queue_a, wrapup_ended_at=None, source="pbx", external_id="call-a2")
    w.contact_b = contact(w.agent_b, queue_b, wrapup_ended_at=None, source="pbx", external_id="call-b")
    w.contact_by_hand = contact(w.agent_a, queue_a, wrapup_ended_at=None)
    w.ticket_free = TicketFactory(queue=queue_a, customer=w.customer, assignee=None)
    w.ticket_a = TicketFactory(queue=queue_a, customer=w.customer, assignee=w.agent_a)
    w.ticket_a2 = TicketFactory(queue=queue_a, customer=w.customer, assignee=w.agent_a2)
    w.ticket_b = TicketFactory(queue=queue_b, customer=w.customer, assignee=w.agent_b)
    w.course = make_course(title="Matrix course")
    assign(w.course, team=team_a)  # agent A, their colleague and their supervisor take it
    w.lesson = lessons_of(w.course)[0]
    w.users = {"agent": w.agent_a, "supervisor": w.supervisor_a, "manager": w.manager, "admin": w.admin}

    def callback(by: Any, queue: Queue) -> Callback:
        due = timezone.now() + timezone.timedelta(days=1)
        return callback_create(queue=queue, phone="+33612345678", due_at=due, by=by, customer=w.customer)

    # Quality: a published scorecard and a draft one; agent A's call evaluated (published) by the
    # manager, and the manager's draft of another; a QA evaluator to give a team.
    w.scorecard_version = published_scorecard(by=w.manager, name="Matrix calls")
    w.scorecard = w.scorecard_version.scorecard
    w.draft_card = quality.scorecard_create(name="Matrix draft", by=w.manager)
    w.draft_version = w.draft_card.versions.get()
    w.evaluation = quality.evaluation_start(interaction=w.contact_a, by=w.manager, version=w.scorecard_version)
    quality.evaluation_save(evaluation=w.evaluation, by=w.manager, answers=answers(w.scorecard_version, **FULL_MARKS))
    quality.evaluation_publish(evaluation=w.evaluation, by=w.manager)
    w.evaluation_draft = quality.evaluation_start(interaction=w.contact_a2, by=w.manager, version=w.scorecard_version)
    w.qa = person("qa_matrix", "quality", None, [])
    EvaluatorTeam.objects.create(user=w.qa, team=team_a)  # covers team A: reads its contacts
    w.mailbox = mailbox_create(address="matrix@example.com", queue=queue_a, imap_username="matrix")
    w.mailbox_spare = mailbox_create(address="spare@example.com", queue=queue_a)
    w.callback_a, w.callback_a2, w.callback_b = (
        callback(w.agent_a, queue_a),
        callback(w.agent_a2, queue_a),
        callback(w.agent_b, queue_b),
    )
    return w


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The center, built once; every test's own transaction is a savepoint inside this one, and
    the whole is rolled back after the module."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        built = _build()
    yield built  # each test that reads the database says so (pytestmark): none writes here for good
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


# --- The vocabulary ------------------------------------------------------------------------------


def resolve(value: Any, w: SimpleNamespace) -> Any:
    return value(w) if callable(value) else value


@dataclass(frozen=True)
class Target:
    """A write endpoint on one object (or a create). ``row(w, data)`` reads the row written, fresh
    from the database: for a create, the one the answer names (``data``), or ``None``."""

    method: str
    path: str  # as in the OpenAPI schema
    url: Callable[[SimpleNamespace], str]
    row: Callable[[SimpleNamespace, Any], Any]
    base: Callable[[SimpleNamespace], dict] = lambda w: {}
    creates: type | None = None  # the model a refused create must leave as it was

    def before(self, w: SimpleNamespace) -> Any:
        return self.row(w, None) if self.creates is None else self.creates.objects.count()


@dataclass(frozen=True)
class Write:
    """One field ``name`` sent with ``value`` (``"(none)"``: an endpoint without a body, such as a
    deletion); ``read(row)`` is what the database holds of it, ``want`` what it must hold once
    allowed, ``expected`` the status each role gets."""

    target: str
    name: str
    value: Any
    expected: dict[str, int]
    read: Callable[[Any], Any]
    want: Any = field(default=None)
    label: str = ""  # tells apart two lines of one field (``assignee-colleague``)

    @property
    def test_id(self) -> str:
        return f"{self.target}-{self.label or self.name}"


def every(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def roles(default: int, **by_role: int) -> dict[str, int]:
    return {**every(default), **by_role}


def attr(name: str, via: str | None = None) -> Callable[[Any], Any]:
    def read(row: Any) -> Any:
        value = getattr(row, name)
        return getattr(value, via) if via and value is not None else value

    return read


def fetch(model: type, key: str = "pk", field_name: str = "id") -> Callable[[SimpleNamespace, Any], Any]:
    def row(w: SimpleNamespace, data: Any) -> Any:
        return model.objects.filter(**{key: data[field_name]}).first() if data else None

    return row


def stored(model: type, name: str) -> Callable[[SimpleNamespace, Any], Any]:
    return lambda w, data: model.objects.get(pk=getattr(w, name).pk)


def ticket_version(name: str) -> Callable[[SimpleNamespace], dict]:
    return lambda w: {"version": Ticket.objects.get(pk=getattr(w, name).pk).version}


TARGETS: dict[str, Target] = {
    # Customers
    "customer-create": Target(
        "post",
        "/customers/",
        lambda w: f"{API}/customers/",
        fetch(Customer),
        lambda w: {"last_name": "Matrix"},
        Customer,
    ),
    "customer-patch": Target(
        "patch", "/customers/{id}/", lambda w: f"{API}/customers/{w.customer.pk}/", stored(Customer, "customer")
    ),
    "customer-merge": Target(
        "post",
        "/customers/{id}/merge/",
        lambda w: f"{API}/customers/{w.customer.pk}/merge/",
        lambda w, data: Customer.objects.filter(pk=w.duplicate.pk).first(),
    ),
    "customer-delete": Target(
        "delete",
        "/customers/{id}/",
        lambda w: f"{API}/customers/{w.duplicate.pk}/",
        lambda w, data: Customer.objects.filter(pk=w.duplicate.pk).first(),
    ),
    "customer-erase": Target(
        "post",
        "/customers/{id}/erase/",
        lambda w: f"{API}/customers/{w.duplicate.pk}/erase/",
        stored(Customer, "duplicate"),
    ),
    # Interactions: agent A's own, their colleague's, another team's; a new one; a wrap-up log.
    "interaction-create": Target(
        "post",
        "/interactions/",
        lambda w: f"{API}/interactions/",
        fetch(Interaction),
        # Answered and over: each time sent below fits between the others.
        lambda w: {
            "channel": "email",
            "queue": "Queue A",
            "offered_at": "2026-01-05T08:58:00Z",
            "answered_at": "2026-01-05T08:59:30Z",
            "ended_at": "2026-01-05T09:05:00Z",
        },
        Interaction,
    ),
    **{
        f"interaction-{whose}": Target(
            "patch",
            "/interactions/{id}/",
            lambda w, name=name: f"{API}/interactions/{getattr(w, name).pk}/",
            stored(Interaction, name),
        )
        for whose, name in (
            ("own", "contact_a"),
            ("own-by-hand", "contact_by_hand"),
            ("colleague", "contact_a2"),
            ("other-team", "contact_b"),
        )
    },
    **{
        f"wrapup-{whose}": Target(
            "post",
            "/interactions/{id}/wrapup/",
            lambda w, name=name: f"{API}/interactions/{getattr(w, name).pk}/wrapup/",
            stored(Interaction, name),
            lambda w: {"end_wrapup": False},
        )
        for whose, name in (("own", "contact_a"), ("colleague", "contact_a2"), ("other-team", "contact_b"))
    },
    # Tickets: a new one; nobody's, agent A's own, their colleague's, another team's; comments.
    "ticket-create": Target(
        "post",
        "/tickets/",
        lambda w: f"{API}/tickets/",
        fetch(Ticket),
        lambda w: {"subject": "Matrix ticket", "queue": "Queue A"},
        Ticket,
    ),
    **{
        f"ticket-{whose}": Target(
            "patch",
            "/tickets/{id}/",
            lambda w, name=name: f"{API}/tickets/{getattr(w, name).pk}/",
            stored(Ticket, name),
            ticket_version(name),
        )
        for whose, name in (
            ("unassigned", "ticket_free"),
            ("own", "ticket_a"),
            ("colleague", "ticket_a2"),
            ("other-team", "ticket_b"),
        )
    },
    **{
        f"comment-{whose}": Target(
            "post",
            "/tickets/{ticket_pk}/comments/",
            lambda w, name=name: f"{API}/tickets/{getattr(w, name).pk}/comments/",
            fetch(TicketComment),
            lambda w: {"body": "Matrix comment"},
            TicketComment,
        )
        for whose, name in (("colleague", "ticket_a2"), ("other-team", "ticket_b"))
    },
    "survey-create": Target(
        "post",
        "/surveys/",
        lambda w: f"{API}/surveys/",
        fetch(SurveyResponse),
        lambda w: {"interaction": w.contact_a.pk, "kind": "csat", "score": 4},
        SurveyResponse,
    ),
    # Scripts
    "script-create": Target(
        "post", "/scripts/", lambda w: f"{API}/scripts/", fetch(Script), lambda w: {"name": "New matrix script"}, Script
    ),
    "script-patch": Target(
        "patch", "/scripts/{id}/", lambda w: f"{API}/scripts/{w.script.pk}/", stored(Script, "script")
    ),
    "script-publish": Target(
        "post",
        "/scripts/{script_pk}/versions/",
        lambda w: f"{API}/scripts/{w.script.pk}/versions/",
        lambda w, data: w.script.versions.count(),
    ),
    # Training: what an agent does with the courses assigned to them.
    "training-lesson-complete": Target(
        "post",
        "/training/{id}/lessons/{lesson_pk}/complete/",
        lambda w: f"{API}/training/{w.course.pk}/lessons/{w.lesson.pk}/complete/",
        lambda w, data: LessonCompletion.objects.filter(lesson=w.lesson).count(),
    ),
    "training-quiz": Target(
        "post",
        "/training/{id}/quiz/",
        lambda w: f"{API}/training/{w.course.pk}/quiz/",
        lambda w, data: QuizAttempt.objects.count(),
    ),
    # The organisation
    "team-create": Target(
        "post", "/teams/", lambda w: f"{API}/teams/", fetch(Team, "name", "name"), lambda w: {"name": "Team M"}, Team
    ),
    "queue-create": Target(
        "post",
        "/queues/",
        lambda w: f"{API}/queues/",
        fetch(Queue, "name", "name"),
        lambda w: {"name": "Queue M", "channel": "chat"},
        Queue,
    ),
    "mailbox-create": Target(
        "post",
        "/mailboxes/",
        lambda w: f"{API}/mailboxes/",
        fetch(Mailbox),
        lambda w: {"address": "matrix-new@example.com", "queue": "Queue A", "imap_username": "matrix"},
        Mailbox,
    ),
    "mailbox-patch": Target(
        "patch", "/mailboxes/{id}/", lambda w: f"{API}/mailboxes/{w.mailbox.pk}/", stored(Mailbox, "mailbox")
    ),
    "mailbox-delete": Target(
        "delete",
        "/mailboxes/{id}/",
        lambda w: f"{API}/mailboxes/{w.mailbox_spare.pk}/",
        lambda w, data: Mailbox.objects.filter(pk=w.mailbox_spare.pk).first(),
    ),
    "queue-patch": Target("patch", "/queues/{name}/", lambda w: f"{API}/queues/Queue B/", stored(Queue, "queue_b")),
    "agent-create": Target(
        "post",
        "/agents/",
        lambda w: f"{API}/agents/",
        fetch(AgentProfile, "user__username", "username"),
        lambda w: {"username": "new_agent", "password": "Sturdy-pass-2026"},
        AgentProfile,
    ),
    **{
        f"agent-{whose}": Target(
            "patch",
            "/agents/{username}/",
            lambda w, username=username: f"{API}/agents/{username}/",
            lambda w, data, username=username: AgentProfile.objects.get(user__username=username),
        )
        for whose, username in (("colleague", "agent_a2"), ("other-team", "agent_b"))
    },
    **{
        f"agent-status-{whose}": Target(
            "put",
            "/agents/{username}/status/",
            lambda w, username=username: f"{API}/agents/{username}/status/",
            lambda w, data, username=username: AgentProfile.objects.get(user__username=username),
            lambda w: {"status": "offline"},
        )
        for whose, username in (("colleague", "agent_a2"), ("other-team", "agent_b"))
    },
    "my-status": Target(
        "put",
        "/agents/me/status/",
        lambda w: f"{API}/agents/me/status/",
        lambda w, data: None,  # each role's own profile: read by the field's reader from the answer
    ),
    "cti-event": Target(
        "post",
        "/cti/events/",
        lambda w: f"{API}/cti/events/",
        lambda w, data: CtiEvent.objects.filter(cti_call__call_id="matrix-call").first() if data else None,
        lambda w: {
            "event": "call.offered",
            "call_id": "matrix-call",
            "timestamp": "2026-01-06T10:00:00Z",
            "from": "+33612345678",
            "to": "3000",
            "queue": "Queue A",
        },
        CtiEvent,
    ),
    # Callbacks: a new one; attempts and cancellation of agent A's, their colleague's, another team's.
    "callback-create": Target(
        "post",
        "/callbacks/",
        lambda w: f"{API}/callbacks/",
        fetch(Callback),
        lambda w: {
            "customer": w.customer.pk,
            "phone": "+33 1 70 00 00 02",
            "due_at": (timezone.now() + timezone.timedelta(hours=1)).isoformat(),
            "queue": "Queue A",
        },
        Callback,
    ),
    **{
        f"callback-{what}-{whose}": Target(
            "post",
            f"/callbacks/{{id}}/{what}/",
            lambda w, name=name, what=what: f"{API}/callbacks/{getattr(w, name).pk}/{what}/",
            stored(Callback, name),
            (lambda w: {"outcome": "no_answer"}) if what == "attempts" else (lambda w: {}),
        )
        for what in ("attempts", "cancel")
        for whose, name in (("own", "callback_a"), ("colleague", "callback_a2"), ("other-team", "callback_b"))
    },
}

TARGETS.update(
    {
        "scorecard-create": Target(
            "post",
            "/quality/scorecards/",
            lambda w: f"{API}/quality/scorecards/",
            fetch(Scorecard),
            lambda w: {"name": "Matrix new card"},
            Scorecard,
        ),
        "scorecard-patch": Target(
            "patch",
            "/quality/scorecards/{id}/",
            lambda w: f"{API}/quality/scorecards/{w.scorecard.pk}/",
            stored(Scorecard, "scorecard"),
        ),
        "scorecard-draft": Target(
            "patch",
            "/quality/scorecards/{scorecard_pk}/versions/{number}/",
            lambda w: f"{API}/quality/scorecards/{w.draft_card.pk}/versions/{w.draft_version.number}/",
            lambda w, data: w.draft_version,
        ),
        "evaluation-create": Target(
            "post",
            "/quality/evaluations/",
            lambda w: f"{API}/quality/evaluations/",
            fetch(Evaluation),
            lambda w: {"interaction": w.contact_a.pk, "version": w.scorecard_version.pk},
            Evaluation,
        ),
        "evaluation-answers": Target(
            "post",
            "/quality/evaluations/{id}/answers/",
            lambda w: f"{API}/quality/evaluations/{w.evaluation_draft.pk}/answers/",
            stored(Evaluation, "evaluation_draft"),
            lambda w: {"answers": []},
        ),
        "evaluation-dispute": Target(
            "post",
            "/quality/evaluations/{id}/dispute/",
            lambda w: f"{API}/quality/evaluations/{w.evaluation.pk}/dispute/",
            fetch(Dispute),
            creates=Dispute,
        ),
        "evaluator-team-create": Target(
            "post",
            "/quality/evaluator-teams/",
            lambda w: f"{API}/quality/evaluator-teams/",
            fetch(EvaluatorTeam),
            lambda w: {"user": "qa_matrix", "team": "Team B"},  # Team A is theirs already
            EvaluatorTeam,
        ),
    }
)

#: Endpoints that write no field of a row: their access is tested by tests/api/test_access_matrix.py.
NOT_ROW_WRITES = {
    ("post", "/auth/token/"): {"username", "password", "otp"},  # a sign-in
    ("delete", "/auth/token/"): set(),  # revokes the token used
    ("post", "/auth/ws-ticket/"): set(),  # a single-use socket ticket
    # The answer to an offer, by the agent it was made to only (others: 404; tests/routing/test_api.py).
    ("post", "/routing/offers/{id}/accept/"): set(),
    ("post", "/routing/offers/{id}/decline/"): set(),
    # A move: the routing writes the item and its log (tests/routing/test_moves.py).
    ("post", "/routing/items/{id}/move/"): {"queue", "agent"},
    # Twilio's webhooks: no role, Twilio's signature is the credential; each becomes a call event of
    # the CTI intake (tests/telephony/test_twilio_webhook.py).
    ("post", "/cti/twilio/"): {
        "CallSid",
        "CallStatus",
        "ParentCallSid",
        "Direction",
        "From",
        "To",
        "Timestamp",
        "CallDuration",
        "EventType",
        "TimestampMs",
        "TaskAttributes",
        "TaskQueueName",
        "WorkerName",
        "WorkerAttributes",
        "RecordingSid",
        "RecordingUrl",
        "RecordingStatus",
        "RecordingStartTime",
        "RecordingDuration",
    },
    # A call's recording, a file (multipart): attached by managers and admins, deleted by admins
    # (tests/telephony/test_recordings.py; access: tests/telephony/recording_access.py).
    ("post", "/interactions/{id}/recording/"): {"file"},
    ("delete", "/interactions/{id}/recording/"): set(),
    # Requests to the phone system: each stores a command for a bridge, by the agent for their own phone
    # or the call they are on (every role with a profile; tests/telephony/test_calls_api.py).
    ("post", "/calls/"): {"to", "customer", "queue"},
    ("post", "/calls/{call_id}/hold/"): set(),
    ("post", "/calls/{call_id}/resume/"): set(),
    ("post", "/calls/{call_id}/transfer/"): {"to"},
    # Quality: steps of a scorecard's or an evaluation's life, each by the one role the rules name
    # (tests/quality/test_services.py, test_api.py; access: tests/quality/access.py).
    ("post", "/quality/scorecards/{scorecard_pk}/versions/"): set(),  # a new draft (managers)
    ("post", "/quality/scorecards/{scorecard_pk}/versions/{number}/publish/"): set(),
    ("post", "/quality/evaluations/"): {"sample", "calibration"},  # where an evaluation comes from
    ("post", "/quality/evaluations/{id}/answers/"): {"answers"},  # its evaluator's, checked per criterion
    ("post", "/quality/evaluations/{id}/publish/"): set(),
    ("post", "/quality/evaluations/{id}/acknowledge/"): set(),
    ("post", "/quality/disputes/{id}/decide/"): {"decision", "comment", "answers"},  # another evaluator
    ("post", "/quality/calibrations/"): {"title", "interaction", "evaluators"},
    ("post", "/quality/calibrations/{id}/close/"): {"reference"},
    ("delete", "/quality/evaluator-teams/{id}/"): set(),
}

# --- The matrix ----------------------------------------------------------------------------------

ANYONE = every(200)
CREATE = every(201)
ADMINS_CREATE = roles(403, admin=201)
ADMINS_CHANGE = roles(403, admin=200)
MANAGERS_CREATE = roles(403, manager=201, admin=201)
MANAGERS_CHANGE = roles(403, manager=200, admin=200)

#: customer field → (value sent, reader, stored value)
CUSTOMER_FIELDS: dict[str, tuple[Any, Callable[[Any], Any], Any]] = {
    "first_name": ("Ada", attr("first_name"), "Ada"),
    "last_name": ("Lovelace", attr("last_name"), "Lovelace"),
    "company": ("Analytical Ltd", attr("company"), "Analytical Ltd"),
    "language": ("fr", attr("language"), "fr"),
    "notes": ("Prefers mornings", attr("notes"), "Prefers mornings"),
    "tags": (["vip"], attr("tags"), ["vip"]),
    "phones": (
        ["06 12 34 56 78"],
        lambda row: [p.value for p in row.contact_points.filter(kind="phone")],
        ["+33612345678"],
    ),
    "emails": (
        ["Ada@Example.com"],
        lambda row: [p.value for p in row.contact_points.filter(kind="email")],
        ["ada@example.com"],
    ),
    "external_id": ("crm-42", attr("external_id"), "crm-42"),
    "consent_marketing": (True, attr("consent_marketing"), True),
    "consent_recording": (False, attr("consent_recording"), False),
    "consent_surveys": (True, attr("consent_surveys"), True),
}

#: interaction field → (value sent, reader, stored value). The log of a contact (what the agent
#: says of it) and the facts of it (what the telephony or source system measured: only supervisors
#: and up change those afterwards; on a contact the agent logged by hand, the agent too).
INTERACTION_LOG = {
    "customer": (lambda w: w.customer2.pk, attr("customer_id"), lambda w: w.customer2.pk),
    "ticket": (lambda w: w.ticket_free.pk, attr("ticket_id"), lambda w: w.ticket_free.pk),
    "disposition": ("matrix-sale", attr("disposition", "code"), "matrix-sale"),
    "resolved": (True, attr("resolved"), True),
    "notes": ("Called back", attr("notes"), "Called back"),
    "script_version": (lambda w: w.version.pk, attr("script_version_id"), lambda w: w.version.pk),
}


def _iso(row_value: Any) -> str | None:
    return row_value.isoformat().replace("+00:00", "Z") if row_value else None


INTERACTION_FACTS = {
    "channel": ("chat", attr("channel"), "chat"),
    "direction": ("outbound", attr("direction"), "outbound"),
    "offered_at": ("2026-01-05T08:59:00Z", lambda row: _iso(row.offered_at), "2026-01-05T08:59:00Z"),
    "answered_at": ("2026-01-05T09:00:20Z", lambda row: _iso(row.answered_at), "2026-01-05T09:00:20Z"),
    "ended_at": ("2026-01-05T09:10:00Z", lambda row: _iso(row.ended_at), "2026-01-05T09:10:00Z"),
    "wrapup_ended_at": ("2026-01-05T09:12:00Z", lambda row: _iso(row.wrapup_ended_at), "2026-01-05T09:12:00Z"),
    "hold_seconds": (30, attr("hold_seconds"), 30),
    "sentiment": (0.5, attr("sentiment"), 0.5),
    "recording": ("recordings/matrix.wav", attr("recording"), "recordings/matrix.wav"),
    "source": ("matrix", attr("source"), "matrix"),
    "external_id": ("matrix-1", attr("external_id"), "matrix-1"),
}
#: whose and which queue's a contact is: supervisors and up route contacts.
INTERACTION_ROUTING = {
    "agent": ("agent_a2", attr("agent", "username"), "agent_a2"),
    "queue": ("Queue B", attr("queue", "name"), "Queue B"),
}

TICKET_FIELDS = {
    "subject": ("Refund asked", attr("subject"), "Refund asked"),
    "description": ("The customer asks for a refund.", attr("description"), "The customer asks for a refund."),
    "customer": (lambda w: w.customer2.pk, attr("customer_id"), lambda w: w.customer2.pk),
    "status": ("open", attr("status"), "open"),
    "priority": ("high", attr("priority"), "high"),
    "category": ("Matrix billing", attr("category", "name"), "Matrix billing"),
}
TICKET_QUEUE = ("Queue B", attr("queue", "name"), "Queue B")
TICKET_ASSIGNEE = attr("assignee", "username")


def _writes() -> list[Write]:
    writes: list[Write] = []

    def add(target: str, name: str, spec: tuple, expected: dict[str, int], **extra: Any) -> None:
        value, read, want = spec
        writes.append(Write(target, name, value, expected, read, want, **extra))

    # Customers: every role writes customer records; merging is for supervisors and up; deleting
    # and erasing for admins.
    for name, spec in CUSTOMER_FIELDS.items():
        add("customer-create", name, spec, CREATE)
        add("customer-patch", name, spec, ANYONE)
    add(
        "customer-merge",
        "duplicate",
        (lambda w: w.duplicate.pk, lambda row: row is None, True),
        roles(200, agent=403),
    )
    add("customer-delete", "(none)", (None, lambda row: row is None, True), roles(403, admin=204))
    add("customer-erase", "(none)", (None, lambda row: row.erased_at is not None, True), ADMINS_CHANGE)

    # Interactions
    for name, spec in {**INTERACTION_LOG, **INTERACTION_FACTS, **INTERACTION_ROUTING}.items():
        own = ANYONE if name in INTERACTION_LOG else roles(200, agent=400)
        add("interaction-own", name, spec, own)
        add("interaction-own-by-hand", name, spec, ANYONE if name not in INTERACTION_ROUTING else own)
        # Not theirs: refused; naming a colleague, the agent is told first that they may not see them.
        add("interaction-colleague", name, spec, roles(200, agent=400 if name == "agent" else 403))
        add("interaction-other-team", name, spec, roles(200, agent=404, supervisor=404))
        create_spec = spec
        if name == "agent":
            create_spec = ("agent_a", spec[1], "agent_a")  # in agent A's name: their own
        add("interaction-create", name, create_spec, CREATE)
    # Not in another's name; not another team's agent by a supervisor (not one they may see).
    add(
        "interaction-own",
        "agent",
        ("agent_b", attr("agent", "username"), "agent_b"),
        roles(200, agent=400, supervisor=400),
        label="agent-other-team",
    )
    add(
        "interaction-create",
        "agent",
        ("agent_a2", attr("agent", "username"), "agent_a2"),
        roles(201, agent=400),
        label="agent-colleague",
    )
    add(
        "interaction-create",
        "agent",
        ("agent_b", attr("agent", "username"), "agent_b"),
        roles(201, agent=400, supervisor=400),
        label="agent-other-team",
    )

    # The wrap-up log: the log fields of the contact, and its end.
    wrapup = {
        "disposition": INTERACTION_LOG["disposition"],
        "resolved": INTERACTION_LOG["resolved"],
        "notes": INTERACTION_LOG["notes"],
        "ticket": INTERACTION_LOG["ticket"],
        "script_version": INTERACTION_LOG["script_version"],
        "end_wrapup": (True, lambda row: row.wrapup_ended_at is not None, True),
        "follow_up_subject": ("Send the form", lambda row: row.ticket and row.ticket.subject, "Send the form"),
        "follow_up_priority": (
            "urgent",
            lambda row: row.ticket and row.ticket.priority,
            "urgent",
        ),
    }
    for name, spec in wrapup.items():
        add("wrapup-own", name, spec, ANYONE)
        add("wrapup-colleague", name, spec, roles(200, agent=403))
        add("wrapup-other-team", name, spec, roles(200, agent=404, supervisor=404))

    # Tickets: every role works the tickets they may see; an agent takes a ticket that is nobody's
    # or gives back their own, and moves a colleague's to no other queue; supervisors assign within
    # their team; managers and admins to anyone.
    for name, spec in TICKET_FIELDS.items():
        add("ticket-create", name, spec, CREATE)
        add("ticket-unassigned", name, spec, ANYONE)
        add("ticket-own", name, spec, ANYONE)
        add("ticket-colleague", name, spec, ANYONE)
        add("ticket-other-team", name, spec, roles(200, agent=404, supervisor=404))
    add("ticket-create", "queue", TICKET_QUEUE, CREATE)
    add("ticket-unassigned", "queue", TICKET_QUEUE, ANYONE)
    add("ticket-own", "queue", TICKET_QUEUE, ANYONE)
    add("ticket-colleague", "queue", TICKET_QUEUE, roles(200, agent=400))
    add("ticket-other-team", "queue", TICKET_QUEUE, roles(200, agent=404, supervisor=404))
    assignees = {
        # label → (username or None, create, nobody's, own, colleague's, other team's)
        "self": ("agent_a", CREATE, ANYONE, ANYONE, roles(200, agent=400), roles(200, agent=404, supervisor=404)),
        "colleague": (
            "agent_a2",
            roles(201, agent=400),
            roles(200, agent=400),
            roles(200, agent=400),
            ANYONE,  # as it is
            roles(200, agent=404, supervisor=404),
        ),
        "other-team": (
            "agent_b",
            roles(201, agent=400, supervisor=400),
            roles(200, agent=400, supervisor=400),
            roles(200, agent=400, supervisor=400),
            roles(200, agent=400, supervisor=400),
            roles(200, agent=404, supervisor=404),
        ),
        "nobody": (None, CREATE, ANYONE, ANYONE, roles(200, agent=400), roles(200, agent=404, supervisor=404)),
    }
    for label, (username, *outcomes) in assignees.items():
        spec = (username, TICKET_ASSIGNEE, username)
        for target, expected in zip(
            ("ticket-create", "ticket-unassigned", "ticket-own", "ticket-colleague", "ticket-other-team"),
            outcomes,
            strict=True,
        ):
            add(target, "assignee", spec, expected, label=f"assignee-{label}")

    for name, spec in {
        "body": ("Called the customer", attr("body"), "Called the customer"),
        "public": (True, attr("public"), True),
    }.items():
        add("comment-colleague", name, spec, CREATE)
        add("comment-other-team", name, spec, roles(201, agent=404, supervisor=404))

    # Surveys: on an interaction the writer may see.
    add(
        "survey-create",
        "interaction",
        (lambda w: w.contact_b.pk, attr("interaction_id"), lambda w: w.contact_b.pk),
        roles(201, agent=400, supervisor=400),
    )
    add("survey-create", "kind", ("nps", attr("kind"), "nps"), CREATE)
    add("survey-create", "score", (5, attr("score"), 5), CREATE)
    add("survey-create", "comment", ("Quick and kind", attr("comment"), "Quick and kind"), CREATE)

    # Scripts: managers and admins write them.
    script_fields = {
        "name": ("Retention", attr("name"), "Retention"),
        "description": ("Keep the customer", attr("description"), "Keep the customer"),
        "campaign": ("Spring offer", attr("campaign"), "Spring offer"),
        "queues": (["Queue B"], lambda row: sorted(q.name for q in row.queues.all()), ["Queue B"]),
        "is_active": (False, attr("is_active"), False),
        "draft": (lambda w: steps(), attr("draft"), lambda w: steps()),
    }
    for name, spec in script_fields.items():
        add("script-create", name, spec, MANAGERS_CREATE)
        add("script-patch", name, spec, MANAGERS_CHANGE)
    add("script-publish", "(none)", (None, lambda count: count, 2), MANAGERS_CREATE)

    # Training: the courses assigned to the writer (to team A: the agent and the supervisor).
    add("training-lesson-complete", "(none)", (None, lambda count: count, 1), roles(200, manager=404, admin=404))
    add(
        "training-quiz",
        "answers",
        (lambda w: all_right(w.course.quiz), lambda count: count, 1),
        roles(201, manager=404, admin=404),
    )

    # The organisation: admins provision it; supervisors (their team) and up set an agent offline.
    add("team-create", "name", ("Team M", attr("name"), "Team M"), ADMINS_CREATE)
    add("team-create", "description", ("Night shift", attr("description"), "Night shift"), ADMINS_CREATE)
    queue_fields = {
        "name": ("Queue M", attr("name"), "Queue M"),
        "channel": ("email", attr("channel"), "email"),
        "skills": (["French"], lambda row: sorted(s.name for s in row.skills.all()), ["French"]),
        "service_level_seconds": (30, attr("service_level_seconds"), 30),
        "service_level_target": (0.9, attr("service_level_target"), 0.9),
        "is_active": (False, attr("is_active"), False),
        "wrapup_limit_seconds": (120, attr("wrapup_limit_seconds"), 120),
        "wrapup_requires_disposition": (False, attr("wrapup_requires_disposition"), False),
        "wrapup_requires_notes": (True, attr("wrapup_requires_notes"), True),
    }
    for name, spec in queue_fields.items():
        add("queue-create", name, spec, ADMINS_CREATE)
        patch_spec = ("Queue B2", attr("name"), "Queue B2") if name == "name" else spec
        add("queue-patch", name, patch_spec, ADMINS_CHANGE)
    # Mailboxes (addresses, queues, IMAP credentials): admins. The password is write-only.
    mailbox_fields = {
        "address": ("matrix-other@example.com", attr("address"), "matrix-other@example.com"),
        "queue": ("Queue B", attr("queue", "name"), "Queue B"),
        "language": ("en", attr("language"), "en"),
        "signature": ("Le service client", attr("signature"), "Le service client"),
        "acknowledgement_subject": ("Reçu : {subject}", attr("acknowledgement_subject"), "Reçu : {subject}"),
        "acknowledgement_body": ("Référence {reference}", attr("acknowledgement_body"), "Référence {reference}"),
        "is_active": (False, attr("is_active"), False),
        "imap_host": ("imap.example.com", attr("imap_host"), "imap.example.com"),
        "imap_port": (143, attr("imap_port"), 143),
        "imap_use_tls": (False, attr("imap_use_tls"), False),
        "imap_username": ("support", attr("imap_username"), "support"),
        "imap_password": ("Imap-secret-1", lambda row: row.imap_password == "Imap-secret-1", True),
        "imap_folder": ("Support", attr("imap_folder"), "Support"),
    }
    for name, spec in mailbox_fields.items():
        add("mailbox-create", name, spec, ADMINS_CREATE)
        add("mailbox-patch", name, spec, ADMINS_CHANGE)
    add("mailbox-delete", "(none)", (None, lambda row: row is None, True), roles(403, admin=204))
    agent_create = {
        "username": ("new_agent", lambda row: row.user.username, "new_agent"),
        "password": ("Another-pass-2026", lambda row: row.user.check_password("Another-pass-2026"), True),
        "role": ("supervisor", attr("role"), "supervisor"),
        "team": ("Team B", attr("team", "name"), "Team B"),
        "queues": (["Queue B"], lambda row: sorted(q.name for q in row.queues.all()), ["Queue B"]),
        "skills": (["French"], lambda row: sorted(s.name for s in row.skills.all()), ["French"]),
        "first_name": ("Grace", lambda row: row.user.first_name, "Grace"),
        "last_name": ("Hopper", lambda row: row.user.last_name, "Hopper"),
        "email": ("grace@example.com", lambda row: row.user.email, "grace@example.com"),
        "extension": ("1042", attr("extension"), "1042"),
    }
    for name, spec in agent_create.items():
        add("agent-create", name, spec, ADMINS_CREATE)
    agent_change = {
        "role": ("supervisor", attr("role"), "supervisor"),
        "team": ("Team B", attr("team", "name"), "Team B"),
        "queues": (["Queue B"], lambda row: sorted(q.name for q in row.queues.all()), ["Queue B"]),
        "skills": (["French"], lambda row: sorted(s.name for s in row.skills.all()), ["French"]),
        "is_active": (False, lambda row: row.user.is_active, False),
        "extension": ("1043", attr("extension"), "1043"),
    }
    for name, spec in agent_change.items():
        add("agent-colleague", name, spec, roles(403, agent=404, admin=200))
        add("agent-other-team", name, spec, roles(403, agent=404, supervisor=404, admin=200))
    offline = ("offline", attr("status"), "offline")
    add("agent-colleague", "status", offline, roles(200, agent=404))
    add("agent-other-team", "status", offline, roles(200, agent=404, supervisor=404))
    # Another agent's status: supervisors their team's, managers and admins anyone's; offline, or a
    # break with its reason (the agents of the world are on no call: it applies at once).
    for whose, expected in (
        ("colleague", roles(200, agent=403)),
        ("other-team", roles(200, agent=403, supervisor=404)),
    ):
        add(f"agent-status-{whose}", "status", offline, expected)
        add(f"agent-status-{whose}", "reason", ("meeting", attr("status_reason"), "meeting"), expected)
    add("my-status", "status", ("available", lambda row: row["status"], "available"), ANYONE)
    add("my-status", "reason", ("lunch", lambda row: row["reason"], "lunch"), ANYONE)

    # Callbacks: every role promises them; attempts on those one sees (an agent: their own and
    # their queues'); an agent cancels only those they promised.
    in_a_day = lambda row: row.due_at > timezone.now() + timezone.timedelta(hours=23)  # noqa: E731
    callback_fields = {
        "customer": (lambda w: w.customer2.pk, attr("customer_id"), lambda w: w.customer2.pk),
        "phone": ("06 12 34 56 78", attr("phone"), "+33612345678"),
        "due_at": (lambda w: (timezone.now() + timezone.timedelta(days=1)).isoformat(), in_a_day, True),
        "queue": ("Queue B", attr("queue", "name"), "Queue B"),
        "note": ("Call after 5 pm", attr("note"), "Call after 5 pm"),
    }
    for name, spec in callback_fields.items():
        add("callback-create", name, spec, CREATE)
    last_attempt = lambda row: row.attempt_log.last()  # noqa: E731
    attempt_fields = {
        "outcome": ("reached", lambda row: getattr(last_attempt(row), "outcome", None), "reached"),
        "note": ("Rang twice", lambda row: getattr(last_attempt(row), "note", None), "Rang twice"),
    }
    cancelled = (None, lambda row: row.state == "cancelled", True)
    for whose, seen, cancels in (
        ("own", CREATE, ANYONE),
        ("colleague", CREATE, roles(200, agent=403)),
        ("other-team", roles(201, agent=404, supervisor=404), roles(200, agent=404, supervisor=404)),
    ):
        for name, spec in attempt_fields.items():
            add(f"callback-attempts-{whose}", name, spec, seen)
        add(f"callback-cancel-{whose}", "(none)", cancelled, cancels)

    # Call events: the telephony system's account (a manager or admin role).
    cti = {
        "event": "call.offered",
        "call_id": "matrix-call",
        "timestamp": "2026-01-06T10:00:00Z",
        "from": "+33612345678",
        "to": "3000",
        "queue": "Queue A",
        "agent": "agent_a",
        "recording": "https://pbx.example/recordings/matrix.wav",
        "direction": "outbound",
    }
    for name, value in cti.items():
        add("cti-event", name, (value, lambda row, name=name: row.payload.get(name), value), MANAGERS_CREATE)
    add(
        "cti-event",
        "customer",
        (lambda w: w.customer.pk, attr("named_customer"), lambda w: w.customer.pk),
        MANAGERS_CREATE,
    )
    # Quality: managers and admins write scorecards (a supervisor evaluates but writes none);
    # supervisors (their team's), managers and admins start evaluations; only its evaluator
    # changes a draft (the admin sees the manager's, the supervisor does not); the agent evaluated
    # disputes; admins say which teams a QA evaluator covers.
    scorecard_fields = {
        "name": ("Matrix card renamed", attr("name"), "Matrix card renamed"),
        "description": ("Inbound calls", attr("description"), "Inbound calls"),
        "queue": ("Queue B", attr("queue", "name"), "Queue B"),
        "channel": ("voice", attr("channel"), "voice"),
        "is_active": (False, attr("is_active"), False),
    }
    for name, spec in scorecard_fields.items():
        add("scorecard-create", name, spec, MANAGERS_CREATE)
        add("scorecard-patch", name, spec, MANAGERS_CHANGE)
    add(
        "scorecard-draft",
        "sections",
        (DEMO_SECTIONS, lambda row: row.sections.count(), 2),
        MANAGERS_CHANGE,
    )
    add(
        "evaluation-create",
        "interaction",
        (lambda w: w.contact_a.pk, attr("interaction_id"), lambda w: w.contact_a.pk),
        roles(201, agent=403),
    )
    add(
        "evaluation-answers",
        "comment",
        ("Clear and polite", attr("comment"), "Clear and polite"),
        roles(403, supervisor=404, manager=200),
    )
    add(
        "evaluation-dispute",
        "reason",
        ("I did identify the caller", attr("reason"), "I did identify the caller"),
        roles(403, agent=201),
    )
    add("evaluator-team-create", "user", ("qa_matrix", attr("user", "username"), "qa_matrix"), ADMINS_CREATE)
    add("evaluator-team-create", "team", ("Team B", attr("team", "name"), "Team B"), ADMINS_CREATE)
    return writes


WRITES = _writes()
BY_ID = {write.test_id: write for write in WRITES}
assert len(BY_ID) == len(WRITES), "two matrix lines share a test id"


# --- The tests -----------------------------------------------------------------------------------


def test_every_writable_field_is_in_the_matrix():
    """The OpenAPI schema lists every write endpoint and its request body's fields, drawn from the
    serializers the views use: each must have its lines in the matrix, and no line may name a
    field or an endpoint that no longer exists."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    in_api: dict[tuple[str, str], set[str]] = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in ("post", "put", "patch", "delete"):
                continue
            fields: set[str] = set()
            body = operation.get("requestBody")
            if body:
                reference = next(iter(body["content"].values()))["schema"]["$ref"]
                fields = set(components[reference.rsplit("/", 1)[-1]]["properties"])
            in_api[(method, path.removeprefix(API))] = fields - {"version"}  # a ticket's concurrency token
    in_matrix: dict[tuple[str, str], set[str]] = {key: set(names) for key, names in NOT_ROW_WRITES.items()}
    for write in WRITES:
        target = TARGETS[write.target]
        names = in_matrix.setdefault((target.method, target.path), set())
        if write.name != "(none)":
            names.add(write.name)
    unlisted = {
        key: sorted(in_api[key] - in_matrix.get(key, set()))
        for key in in_api
        if key not in in_matrix or in_api[key] - in_matrix[key]
    }
    assert not unlisted, (
        "writable fields without a line in the write matrix (say who may change them, in the matrix and in "
        f"docs/security.md): {unlisted}"
    )
    stale = {
        key: sorted(names - in_api.get(key, set()))
        for key, names in in_matrix.items()
        if key not in in_api or names - in_api[key]
    }
    assert not stale, f"matrix lines for fields or endpoints that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("test_id", sorted(BY_ID))
def test_write(world, api_client_for, test_id, role):
    write = BY_ID[test_id]
    target = TARGETS[write.target]
    user = world.users[role]
    before = target.before(world)
    own_status = target is TARGETS["my-status"]
    before_value = None if target.creates or own_status else write.read(before)
    body = target.base(world)
    if write.name != "(none)":
        body[write.name] = resolve(write.value, world)
    if write.name == "follow_up_priority":
        body["follow_up_subject"] = "Send the form"
    if write.name == "reason" and target.path.endswith("/status/"):
        body["status"] = "break"
    if write.name == "end_wrapup":  # the queue asks for a disposition before the wrap-up ends
        body["disposition"] = resolve(INTERACTION_LOG["disposition"][0], world)
    response = getattr(api_client_for(user), target.method)(target.url(world), body, format="json")
    expected = write.expected[role]
    data = getattr(response, "data", None)
    assert response.status_code == expected, (role, test_id, data)

    if own_status:
        assert write.read(data) == write.want
    elif 200 <= expected < 300:
        row = target.row(world, data if target.creates else None)
        assert write.read(row) == resolve(write.want, world), (role, test_id)
    else:
        if expected == 400:
            assert write.name in data, (role, test_id, data)
        if target.creates is not None:
            assert target.creates.objects.count() == before, "a refused create created something"
        else:
            assert write.read(target.row(world, None)) == before_value, "a refused write changed the row"


#: The matrix's lines a QA evaluator may write: their own presence, and quality's own routes (the
#: evaluator-team line is an admin's: refused to them too).
QUALITY_ALLOWED_TARGETS = {"my-status", "evaluation-create", "evaluation-answers", "evaluation-dispute"}


@pytest.mark.parametrize(
    "test_id", sorted(test_id for test_id, write in BY_ID.items() if write.target not in QUALITY_ALLOWED_TARGETS)
)
def test_a_qa_evaluator_writes_nothing_else(world, api_client_for, test_id):
    """The quality role reads the contacts of the teams it covers (team A here) and changes none:
    every other write of the matrix is refused to it, and leaves the row as it was."""
    write = BY_ID[test_id]
    target = TARGETS[write.target]
    before = target.before(world)
    before_value = None if target.creates else write.read(before)
    body = target.base(world)
    if write.name != "(none)":
        body[write.name] = resolve(write.value, world)
    response = getattr(api_client_for(world.qa), target.method)(target.url(world), body, format="json")
    assert response.status_code in (403, 404), (test_id, response.status_code, getattr(response, "data", None))
    if target.creates is not None:
        assert target.creates.objects.count() == before, "a refused create created something"
    else:
        assert write.read(target.row(world, None)) == before_value, "a refused write changed the row"


# --- The back office (Django admin): what each role may add, change, delete -----------------------

ADMIN_ONLY = frozenset({"admin"})
MANAGERS_UP = frozenset({"manager", "admin"})
NO_ONE: frozenset[str] = frozenset()
WRITERS = {"add": MANAGERS_UP, "change": MANAGERS_UP, "delete": MANAGERS_UP}
PROVISIONED = {"add": ADMIN_ONLY, "change": ADMIN_ONLY, "delete": ADMIN_ONLY}

#: "app.model" → action → the roles whose admin offers it. Agents do not open the admin at all
#: (their desktop is the agent desktop). Knowledge articles, training material and scripts are
#: written by managers and admins; the organisation by admins. Published script versions never
#: change; a version is added by publishing.
BACK_OFFICE: dict[str, dict[str, frozenset[str]]] = {
    "knowledge.article": WRITERS,
    "knowledge.articlecategory": WRITERS,
    "training.course": WRITERS,
    "training.lesson": WRITERS,
    "training.quiz": WRITERS,
    "training.question": WRITERS,
    "training.assignment": WRITERS,
    "scripts.script": WRITERS,
    "scripts.scriptversion": {"add": MANAGERS_UP, "change": NO_ONE, "delete": NO_ONE},
    "agents.team": PROVISIONED,
    "agents.queue": PROVISIONED,
    # A profile's form (team, queues, skills) is an admin's, the supervisor's own profile too.
    "agents.agentprofile": PROVISIONED,
    # The routing's settings are the organisation's (admins); its work items are the routing's own.
    "routing.queuerouting": PROVISIONED,
    "routing.queueskilllevel": PROVISIONED,
    "routing.agentrouting": PROVISIONED,
    "routing.agentskilllevel": PROVISIONED,
    "routing.workitem": {"add": NO_ONE, "change": NO_ONE, "delete": NO_ONE},
    "routing.workitemmove": {"add": NO_ONE, "change": NO_ONE, "delete": NO_ONE},
    "routing.callback": {"add": NO_ONE, "change": NO_ONE, "delete": NO_ONE},
    # Mailboxes hold the center's IMAP credentials: admins; the mail itself is what happened.
    "mail.mailbox": PROVISIONED,
    "mail.emailmessage": {"add": NO_ONE, "change": NO_ONE, "delete": NO_ONE},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", sorted(BACK_OFFICE))
def test_back_office_writes(world, rf, model, role):
    user = world.users[role]
    request = rf.get("/admin/")
    request.user = user
    model_admin = admin.site._registry[apps.get_model(model)]
    # A change or a deletion asked on a row the user sees: for a profile, the user's own.
    obj = AgentProfile.objects.get(user=user) if model == "agents.agentprofile" else None
    offered = {
        action: admin.site.has_permission(request)
        and getattr(model_admin, f"has_{action}_permission")(request, *([obj] if action != "add" else []))
        for action in ("add", "change", "delete")
    }
    assert offered == {action: role in roles_ for action, roles_ in BACK_OFFICE[model].items()}


def test_a_supervisor_changes_no_profile_in_the_admin(world, client):
    """Not their own (they would see another team's work) nor their team's: the form is an admin's."""
    client.force_login(world.supervisor_a)
    for user in (world.supervisor_a, world.agent_a):
        profile = AgentProfile.objects.get(user=user)
        url = reverse("admin:agents_agentprofile_change", args=[profile.pk])
        response = client.post(url, {"team": world.team_b.pk, "queues": [world.queue_b.pk], "skills": []})
        assert response.status_code == 403
        profile.refresh_from_db()
        assert (profile.team_id, list(profile.queues.values_list("name", flat=True))) == (world.team_a.pk, ["Queue A"])
    # Setting an agent of the team offline stays theirs.
    response = client.post(
        reverse("admin:agents_agentprofile_changelist"),
        {"action": "set_offline", "_selected_action": [AgentProfile.objects.get(user=world.agent_a).pk]},
    )
    assert response.status_code == 302


@pytest.mark.parametrize(("role", "allowed"), [("supervisor", False), ("manager", False), ("admin", True)])
def test_the_agent_service_owns_the_provisioning_rule(world, role, allowed):
    """The API and the admin ask the same service: only an admin moves an agent to another team."""
    profile = AgentProfile.objects.get(user=world.agent_a)
    if allowed:
        agent_update(profile=profile, by=world.users[role], team=world.team_b)
    else:
        with pytest.raises(PermissionDenied):
            agent_update(profile=profile, by=world.users[role], team=world.team_b)
    profile.refresh_from_db()
    assert (profile.team_id == world.team_b.pk) is allowed


# --- Idempotency-Key: a replay answers no wider than the request itself --------------------------


def _mixed_posts() -> dict[str, Write]:
    """Per POST endpoint, its first matrix line that some role may write and another may not."""
    chosen: dict[str, Write] = {}
    for write in WRITES:
        outcomes = {200 <= status < 300 for status in write.expected.values()}
        if TARGETS[write.target].method == "post" and outcomes == {True, False}:
            chosen.setdefault(write.target, write)
    return chosen


MIXED_POSTS = _mixed_posts()


@pytest.mark.parametrize("target_name", sorted(MIXED_POSTS))
def test_an_idempotency_key_replays_nothing_to_a_role_refused(world, api_client_for, target_name):
    """Keys are per user: the same key and body from a refused role run the request and are
    refused, not served the answer stored for an allowed one; a refused request stores no answer
    (sent again, it is refused again)."""
    write = MIXED_POSTS[target_name]
    target = TARGETS[target_name]
    allowed = next(role for role in ROLES if 200 <= write.expected[role] < 300)
    refused = next(role for role in ROLES if not 200 <= write.expected[role] < 300)
    body = {**target.base(world), **({} if write.name == "(none)" else {write.name: resolve(write.value, world)})}
    headers = {"HTTP_IDEMPOTENCY_KEY": f"matrix-{target_name}"}
    url = target.url(world)

    first = api_client_for(world.users[refused]).post(url, body, format="json", **headers)
    again = api_client_for(world.users[refused]).post(url, body, format="json", **headers)
    assert first.status_code == again.status_code == write.expected[refused], getattr(again, "data", None)
    assert again.get("Idempotent-Replayed") is None

    done = api_client_for(world.users[allowed]).post(url, body, format="json", **headers)
    assert done.status_code == write.expected[allowed], getattr(done, "data", None)
    state = _state(write, world)
    replay = api_client_for(world.users[refused]).post(url, body, format="json", **headers)
    assert replay.status_code == write.expected[refused] and replay.get("Idempotent-Replayed") is None
    assert _state(write, world) == state, "the refused replay wrote something"


def _state(write: Write, w: SimpleNamespace) -> Any:
    """What the database holds of the line's field: for a create, how many rows there are."""
    target = TARGETS[write.target]
    return target.creates.objects.count() if target.creates else write.read(target.row(w, None))


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "This is measured by the telephony or source system"),
        ("fr", "Cette valeur est mesurée par la téléphonie ou le système source"),
    ],
    ids=["en", "fr"],
)
def test_the_refusal_of_a_measured_field_is_told_in_the_users_language(world, api_client_for, language, message):
    client = api_client_for(world.agent_a)
    response = client.patch(
        f"{API}/interactions/{world.contact_a.pk}/", {"hold_seconds": 45}, format="json", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 400
    assert response.data["hold_seconds"][0].startswith(message)


@pytest.mark.parametrize(("role", "allowed"), [("supervisor", False), ("manager", True), ("admin", True)])
def test_the_interaction_services_route_to_agents_within_reach(world, role, allowed):
    """What the API's choices hold (agents one may see), the services hold for every door (the
    admin's forms): a supervisor gives or logs interactions for their team's agents only."""
    by = world.users[role]
    contact = Interaction.objects.get(pk=world.contact_a.pk)
    attempts = [
        lambda: interaction_update(interaction=contact, by=by, agent=world.agent_b),
        lambda: interaction_log(channel="email", offered_at=contact.offered_at, by=by, agent=world.agent_b),
    ]
    for attempt in attempts:
        if allowed:
            attempt()
        else:
            with pytest.raises(ValidationError) as refused:
                attempt()
            assert "is not in your team" in refused.value.message_dict["agent"][0]
    assert Interaction.objects.filter(agent=world.agent_b).count() == (3 if allowed else 1)
