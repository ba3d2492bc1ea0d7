"""Exact query counts of the pages and their htmx fragments (``contactcenter/desk/urls.py``).

The counterpart of tests/api/test_query_counts.py for the pages: every route of the ``desk``
namespace (and the home page) has an entry (``test_every_page_is_counted``), called by a signed-in
user of the role who works there, once to warm what a process keeps, then measured with
``django_assert_num_queries(n, exact=True)`` over 3 and then 10 rows of what the page lists or
touches: the same number both times, or a loop queries row by row.

Every signed-in request starts with the same one: its user with their agent profile and team (the
password backend joins them: :class:`contactcenter.core.backends.ProfileModelBackend`); the session
itself is read from the cache (the ``cached_db`` engine), which the warm-up call fills. Writes run in
a savepoint of the test's transaction (``SAVEPOINT`` and ``RELEASE`` count here; in production they
are ``BEGIN``/``COMMIT``, which Django does not count), and run their after-commit callbacks (the
live events' payloads) inside the measure.

The wallboard's board is read by queries another piece of work reshapes for large centers: its
count is pinned as it is. The current call keeps its query's shape (filter, order, index) and joins
what the call region shows of it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from contactcenter.agents.models import AgentProfile, PresenceInterval, Status
from contactcenter.chat.models import ChatConversation, ChatMessage
from contactcenter.chat.services import chat_widget_create
from contactcenter.desk.simulation import simulated_call_start
from contactcenter.distribution.models import AgentRouting, QueueRouting, WorkItem, WorkKind, WorkOffer, WorkState
from contactcenter.distribution.services import callback_create, routing_dispatch
from contactcenter.mail.models import CannedReply, EmailAttachment, EmailMessage
from contactcenter.mail.services import mailbox_create
from contactcenter.quality.models import SampleItem, SamplingRule
from contactcenter.quality.services import (
    calibration_create,
    evaluation_dispute,
    evaluation_publish,
    evaluation_save,
    evaluation_start,
)
from contactcenter.scripts.models import Script, ScriptVersion
from contactcenter.training.models import LessonAttachment
from customers.services import customer_create
from interactions.cti import cti_event_apply
from tests.agents.factories import PASSWORD, QueueFactory
from tests.api.test_query_counts import customers, history
from tests.customers.factories import CustomerFactory
from tests.desk.quality_fixtures import criteria_of, published_scorecard, quality_user
from tests.interactions.factories import InteractionFactory, TicketCommentFactory, TicketFactory
from tests.knowledge.factories import ArticleFactory
from tests.training.factories import all_right, assign, lessons_of, make_course

pytestmark = pytest.mark.django_db

ROWS = [3, 10]
PHONE = "06 12 34 56 78"
HTMX = {"HTTP_HX_REQUEST": "true"}
STEPS = [
    {
        "key": "greeting",
        "text": "Hello {first_name}, {agent} speaking.",
        "answers": [{"label": "Billing", "next": "billing"}, {"label": "Other", "next": "other"}],
    },
    {"key": "billing", "text": "Which invoice, {first_name}?", "answers": [{"label": "Done", "next": "end"}]},
    {"key": "other", "text": "Tell me more.", "answers": [{"label": "Done", "next": "end"}]},
    {"key": "end", "text": "Goodbye {customer}.", "answers": [], "disposition": "resolved"},
]
_calls = itertools.count()


# --- What the pages show -------------------------------------------------------------------------------


def center(org, rows: int) -> None:
    """Agent A available since yesterday, a published script on Queue A, a known caller (Anne) with
    ``rows`` interactions and open tickets, ``rows`` other customers; agent A on a call with Anne."""
    AgentProfile.objects.filter(user=org.agent_a).update(
        status=Status.AVAILABLE, status_since=timezone.now() - timedelta(days=1)
    )
    script = Script.objects.create(name="Billing greeting")
    script.queues.add(org.queue_a)
    org.script = ScriptVersion.objects.create(script=script, number=1, steps=STEPS)
    org.anne = customer_create(first_name="Anne", last_name="Martin", phones=[PHONE], emails=["anne@example.test"])
    history(org, org.anne, rows)
    customers(rows)
    org.call = call(org, "call.offered", "call.answered")


def call(org, *events: str, agent=None):
    """The interaction of a call of Anne's number to Queue A, through the real CTI intake."""
    call_id = f"call-{next(_calls)}"
    start = timezone.now() - timedelta(seconds=30)
    outcome = None
    for n, event in enumerate(events):
        outcome = cti_event_apply(
            event=event,
            call_id=call_id,
            timestamp=start + timedelta(seconds=n),
            caller=PHONE,
            queue=org.queue_a,
            agent=(agent or org.agent_a) if event != "call.offered" else None,
            by=org.manager,
        )
    return outcome.interaction


def ended_call(org):
    """A call of agent A's, ended: in wrap-up (each log ends one)."""
    interaction = call(org, "call.offered", "call.answered", "call.ended")
    AgentProfile.objects.filter(user=org.agent_a).update(status_since=timezone.now() - timedelta(days=1))
    return interaction


def tickets(org, rows: int) -> None:
    center(org, rows)
    org.ticket = TicketFactory(customer=org.anne, queue=org.queue_a, assignee=org.agent_a)
    TicketCommentFactory.create_batch(rows, ticket=org.ticket, author=org.agent_a)


def email_ticket(org, rows: int) -> None:
    """The ticket came in by email: ``rows`` mails in and ``rows`` replies that failed, each with a file,
    and ``rows`` canned replies in its queue."""
    tickets(org, rows)
    org.failed_replies = []
    mailbox = mailbox_create(address="support@example.com", queue=org.queue_a)
    for n in range(rows):
        for direction, state in (("inbound", ""), ("outbound", "failed")):
            message = EmailMessage.objects.create(
                mailbox=mailbox,
                ticket=org.ticket,
                direction=direction,
                message_id=f"{direction}-{n}@example.com",
                from_address="anne@example.com",
                to=["support@example.com"],
                subject="Router",
                body_text="Hello",
                full_text="Hello\n> before",
                send_state=state,
                send_error="451 try later" if state else "",
            )
            org.email_attachment = EmailAttachment.objects.create(
                message=message,
                filename="photo.jpg",
                content_type="image/jpeg",
                size=4,
                file=SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0"),
            )
        org.failed_replies.append(message)
        CannedReply.objects.create(queue=org.queue_a, title=f"Answer {n}", body="Hello {customer_first_name}")


def articles(org, rows: int) -> None:
    for _ in range(rows):
        ArticleFactory(title="Restarting the modem", tags=("modem",))
    org.article = ArticleFactory(title="Resetting the router", tags=("router", "modem"))


def courses(org, rows: int) -> None:
    for _ in range(rows):
        assign(make_course(lessons=2), team=org.team_a)
    org.course = make_course(lessons=rows)
    assign(org.course, team=org.team_a)
    org.lessons = lessons_of(org.course)
    org.attachment = LessonAttachment.objects.create(
        lesson=org.lessons[0], title="Cheat sheet", file=SimpleUploadedFile("sheet.pdf", b"%PDF-1.4 demo")
    )


def available(org) -> None:
    """Agent A available again, whatever call they are on: the simulator picks them."""
    AgentProfile.objects.filter(user=org.agent_a).update(status=Status.AVAILABLE, status_reason="")


def simulated(org):
    available(org)
    return simulated_call_start(queue=org.queue_a, agent=org.agent_a, caller=None, by=org.supervisor_a)


def simulate(org, attempt: int) -> Request:
    available(org)
    return Request("post", url("simulate_call"), {"queue": org.queue_a.pk, "agent": "agent_a", "caller": "known"})


def wallboard_day(org, rows: int) -> None:
    """The center, with ``rows`` callers waiting in Queue A (known customers and unknown numbers), and
    agent A's day: ``rows`` presence intervals set by the supervisor, ``rows`` contacts today."""
    center(org, rows)
    now = timezone.now()
    for n in range(rows):
        InteractionFactory(
            queue=org.queue_a,
            customer=CustomerFactory() if n % 2 else None,
            agent=None,
            offered_at=now - timedelta(seconds=10 + n),
            answered_at=None,
            ended_at=None,
            wrapup_ended_at=None,
        )
        InteractionFactory(queue=org.queue_a, agent=org.agent_a, offered_at=now - timedelta(minutes=5 + n))
    # Closed intervals just before the call's (the agent's open one is the call's).
    first = PresenceInterval.objects.filter(agent=org.agent_a).order_by("started_at").first().started_at
    for n in range(rows):
        start = first - timedelta(seconds=60 * (n + 1))
        PresenceInterval.objects.create(
            agent=org.agent_a,
            status=Status.BREAK,
            reason="coaching",
            started_at=start,
            ended_at=start + timedelta(seconds=30),
            set_by=org.supervisor_a,
            ended_by=org.agent_a,
        )


def wallboard_work(org, rows: int) -> None:
    """The wallboard's day, with ``rows`` chats waiting in Queue A and ``rows`` assigned to agent A, and a
    second queue of Team A's (Queue A2) to move work to."""
    wallboard_day(org, rows)
    now = timezone.now()
    org.queue_a2 = QueueFactory(name="Queue A2", channel="chat")
    AgentProfile.objects.get(user=org.agent_a).queues.add(org.queue_a2)
    for n in range(rows):
        WorkItem.objects.create(
            kind="chat", queue=org.queue_a, arrived_at=now - timedelta(seconds=n), customer=CustomerFactory()
        )
        WorkItem.objects.create(
            kind="chat", queue=org.queue_a, arrived_at=now, state="assigned", assigned_to=org.agent_a, assigned_at=now
        )


def chat_to_move(org, attempt: int) -> Request:
    if not hasattr(org, "queue_a2"):  # test_every_page_is_counted: the center only
        org.queue_a2 = QueueFactory(name="Queue A2", channel="chat")
    item = WorkItem.objects.create(kind="chat", queue=org.queue_a, arrived_at=timezone.now())
    return Request("post", url("wallboard_work_move", item.pk), {"to": f"queue:{org.queue_a2.pk}", "panel": "queue"})


def chat_of(org, *, state: str = "active", customer=None) -> ChatConversation:
    """A chat of agent A's (its interaction answered by them) on the chat widget, with a visitor's, the
    bot's and agent A's messages."""
    now = timezone.now()
    interaction = InteractionFactory(
        channel="chat",
        queue=org.chat_queue,
        agent=org.agent_a,
        customer=customer,
        offered_at=now,
        answered_at=now,
        ended_at=None if state == "active" else now,
        wrapup_ended_at=None if state == "active" else now,
    )
    item = WorkItem.objects.create(
        kind=WorkKind.CHAT,
        queue=org.chat_queue,
        customer=customer,
        arrived_at=now,
        state=WorkState.ASSIGNED if state == "active" else WorkState.DONE,
        assigned_to=org.agent_a,
        assigned_at=now,
    )
    conversation = ChatConversation.objects.create(
        widget=org.chat_widget,
        token_hash=f"{next(_calls):064d}",
        visitor_name="Zoé",
        language="en",
        customer=customer,
        state=state,
        interaction=interaction,
        work_item=item,
        agent=org.agent_a,
        handed_over_at=now,
        ended_at=None if state == "active" else now,
    )
    for author, text in (("visitor", "Hello?"), ("bot", "Ask me."), ("agent", "I am here.")):
        ChatMessage.objects.create(
            conversation=conversation, author=author, text=text, agent=org.agent_a if author == "agent" else None
        )
    return conversation


def chats(org, rows: int) -> None:
    """The center; a chat queue of agent A's with its widget and ``rows`` canned replies; agent A holds
    ``rows`` chats (the first one Anne's, her history beside it), each with ``rows`` more messages of the
    visitor; a chat of Anne's that is over."""
    center(org, rows)
    org.chat_queue = QueueFactory(name="Chat A", channel="chat")
    AgentProfile.objects.get(user=org.agent_a).queues.add(org.chat_queue)
    org.chat_widget = chat_widget_create(name="Site", queue=org.chat_queue, allowed_origins=["https://shop.test"])
    for n in range(rows):
        CannedReply.objects.create(queue=org.chat_queue, title=f"Answer {n}", body="Hello {customer_first_name}")
        conversation = chat_of(org, customer=org.anne if n == 0 else None)
        if n == 0:
            org.chat = conversation
        for m in range(rows):
            ChatMessage.objects.create(conversation=conversation, author="visitor", text=f"Message {m}")
    org.past_chat = chat_of(org, state="closed", customer=org.anne)


def chat_request(name: str, data: dict | None = None, *, fresh: bool = False) -> Callable[[Any, int], Request]:
    """A request on agent A's first chat (``fresh``: on a new chat of theirs each time)."""

    def request(org, attempt: int) -> Request:
        method = "post" if data is not None else "get"
        if not hasattr(org, "chat"):  # test_every_page_is_counted: the route alone
            return Request(method, url(name, 1), data or {})
        conversation = chat_of(org) if fresh else org.chat
        values = {key: value(org) if callable(value) else value for key, value in (data or {}).items()}
        return Request(method, url(name, conversation.pk), values)

    return request


def fresh_offer(org) -> int:
    """A chat of Anne's waiting in Queue A, offered to agent A by the real dispatcher (the queue
    blends, so the fixture's call does not block it): the offer's id."""
    open_offer = WorkOffer.objects.filter(agent=org.agent_a, outcome="").first()
    if open_offer is not None:
        return open_offer.pk
    QueueRouting.objects.update_or_create(queue=org.queue_a, defaults={"blending": True})
    AgentProfile.objects.filter(user=org.agent_a).update(status=Status.AVAILABLE, status_reason="", pending_status="")
    WorkItem.objects.create(kind=WorkKind.CHAT, queue=org.queue_a, customer=org.anne, arrived_at=timezone.now())
    return routing_dispatch(queue_ids=[org.queue_a.pk])[0].pk


def work(org, rows: int) -> None:
    """The center; agent A holds ``rows`` routed tickets (each with its customer)."""
    center(org, rows)
    AgentRouting.objects.create(profile=AgentProfile.objects.get(user=org.agent_a), email_capacity=20)
    for ticket in TicketFactory.create_batch(rows, customer=CustomerFactory(), queue=org.queue_a, assignee=org.agent_a):
        WorkItem.objects.create(
            kind=WorkKind.TICKET,
            queue=org.queue_a,
            customer=ticket.customer,
            ticket=ticket,
            arrived_at=timezone.now(),
            state=WorkState.ASSIGNED,
            assigned_to=org.agent_a,
            assigned_at=timezone.now(),
        )


def work_offered(org, rows: int) -> None:
    """:func:`work`, and a chat offered to agent A."""
    work(org, rows)
    fresh_offer(org)


def callbacks_promised(org, rows: int) -> None:
    """The center, and ``rows`` callbacks agent A promised in Queue A (each for a customer), due later."""
    center(org, rows)
    due = timezone.now() + timedelta(hours=2)
    promised = [
        callback_create(queue=org.queue_a, phone=PHONE, due_at=due, by=org.agent_a, customer=CustomerFactory())
        for _n in range(rows)
    ]
    org.callback = promised[0]


def _answers(org, identity: int = 1) -> list[dict[str, Any]]:
    values = {"identity": identity, "greeting": 1, "empathy": 3, "upsell": None}
    return [
        {"criterion": c.pk, "value": values[key], "not_applicable": values[key] is None, "comment": key}
        for key, c in org.qm_criteria.items()
    ]


def _published(org, interaction):
    evaluation = evaluation_start(interaction=interaction, by=org.manager, version=org.qm_version)
    evaluation_save(evaluation=evaluation, by=org.manager, answers=_answers(org), comment="Well done.")
    return evaluation_publish(evaluation=evaluation, by=org.manager)


def quality(org, rows: int) -> None:
    """Quality management: a published scorecard; ``rows`` calls of agent A sampled for supervisor A,
    each evaluated by the manager, published and disputed by the agent (the disputes supervisor A
    decides); ``rows`` drafts of supervisor A; ``rows`` open calibration sessions supervisor A sits
    in; and, for the writes, two of each kind more (one per attempt)."""
    org.qm_version = published_scorecard(by=org.manager, queue=org.queue_a)
    org.qm_criteria = criteria_of(org.qm_version)
    org.qm_qa = quality_user("qa_a", org.team_a)
    rule = SamplingRule.objects.create(name="Weekly", scorecard=org.qm_version.scorecard, per_agent_per_week=rows)
    calls = [InteractionFactory(queue=org.queue_a, agent=org.agent_a) for _n in range(rows + 2)]
    week = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    org.qm_disputes, org.qm_sessions, org.qm_drafts = [], [], []
    for call_ in calls[:rows]:
        SampleItem.objects.create(
            rule=rule, interaction=call_, agent=org.agent_a, week=week, assigned_to=org.supervisor_a
        )
        evaluation = _published(org, call_)
        org.qm_disputes.append(evaluation_dispute(evaluation=evaluation, by=org.agent_a, reason="I did."))
        org.qm_drafts.append(evaluation_start(interaction=call_, by=org.supervisor_a, version=org.qm_version))
    for n in range(rows + 2):
        org.qm_sessions.append(
            calibration_create(
                title=f"Session {n}",
                interaction=calls[0],
                version=org.qm_version,
                evaluators=[org.supervisor_a, org.qm_qa],
                by=org.manager,
            )
        )
    org.qm_fresh = calls[rows:]  # not evaluated by supervisor A yet
    org.qm_to_answer = [_published(org, calls[0]) for _n in range(4)]  # acknowledged (0, 1), disputed (2, 3)
    org.qm_call = calls[0]


def _qm(org, name: str, index: int = 0):
    """``org``'s quality object (any id when the table is only checked: test_every_page_is_counted)."""
    objects = getattr(org, name, None)
    if objects is None:
        return SimpleNamespace(pk=1)
    return objects[index] if isinstance(objects, list) else objects


def _scorecard_form(org) -> dict[str, str]:
    return {f"criterion-{c.pk}": "1" if c.scale == "yes_no" else "2" for c in org.qm_criteria.values()}


# --- The table -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    data: dict[str, Any] = field(default_factory=dict)
    htmx: bool = True


@dataclass(frozen=True)
class Page:
    queries: int
    role: str
    request: Callable[[SimpleNamespace, int], Request]  # (org, attempt) → the request
    rows: Callable[[SimpleNamespace, int], None] = center
    status: int = 200
    fresh: bool = False  # a new client (session) for each attempt: signing in and out


def url(name: str, *args: Any) -> str:
    return reverse(f"desk:{name}", args=args)


PAGES: dict[tuple[str, str], Page] = {
    ("home", "get"): Page(1, "agent", lambda org, n: Request("get", reverse("home"), htmx=False), status=302),
    ("login", "get"): Page(0, "anonymous", lambda org, n: Request("get", url("login"), htmx=False)),
    # 15: above 6: the login limits' lockout check for the username and the address (2); Django's login: the
    # user and their password, whether they have a second factor, last_login saved, the pair's failures
    # forgotten (2), the session cycled and saved (each in a savepoint of its own), then the profile for the
    # home page's role. Once a shift.
    ("login", "post"): Page(
        15,
        "anonymous",
        lambda org, n: Request("post", url("login"), {"username": "agent_a", "password": PASSWORD}, htmx=False),
        status=302,
        fresh=True,
    ),
    # Without a password step in progress, the second step sends back to the login page.
    ("login-second-step", "get"): Page(
        0, "anonymous", lambda org, n: Request("get", url("login-second-step"), htmx=False), status=302
    ),
    ("login-second-step", "post"): Page(
        0, "anonymous", lambda org, n: Request("post", url("login-second-step"), htmx=False), status=302
    ),
    # 4: the user with their profile; the authenticator, the passkeys (listed), the recovery codes left.
    ("twofactor", "get"): Page(4, "agent", lambda org, n: Request("get", url("twofactor"), htmx=False)),
    # Setting up an authenticator: the device being set up is kept for the session (made once); the
    # page around it reads what the GET reads.
    ("twofactor", "post"): Page(
        6, "agent", lambda org, n: Request("post", url("twofactor"), {"action": "enrol"}, htmx=False)
    ),
    # Passkeys at the second step: without a password step in progress, refused before any query.
    ("login-passkey-begin", "post"): Page(
        0, "anonymous", lambda org, n: Request("post", url("login-passkey-begin"), htmx=False), status=403
    ),
    ("login-passkey-complete", "post"): Page(
        0, "anonymous", lambda org, n: Request("post", url("login-passkey-complete"), htmx=False), status=403
    ),
    # Adding a passkey, part one: the user with their profile; whether the user has a second factor (the session is
    # not verified by one); the user's WebAuthn handle (made once), their passkeys (excluded from the new
    # one); the challenge kept in the session (3).
    ("passkey-register-begin", "post"): Page(
        7, "agent", lambda org, n: Request("post", url("passkey-register-begin"), htmx=False)
    ),
    # Part two without the browser's passkey: the user with their profile, a second factor?, and the savepoint of the
    # service that found nothing to save (tests/security/test_auth_passkeys.py runs the whole ceremony).
    ("passkey-register-complete", "post"): Page(
        4, "agent", lambda org, n: Request("post", url("passkey-register-complete"), htmx=False), status=400
    ),
    # No authenticator being set up: nothing to draw.
    ("twofactor-qr", "get"): Page(
        0, "agent", lambda org, n: Request("get", url("twofactor-qr"), htmx=False), status=404
    ),
    ("logout", "post"): Page(
        4, "agent", lambda org, n: Request("post", url("logout"), htmx=False), status=302, fresh=True
    ),
    # 6: the whole desktop in one page. The user with their profile; the current call with what the call region
    # shows of it (its customer and CTI call joined to the current call's query); the customer's contact points,
    # their tickets (the open ones and the timeline's in one read), the timeline's interactions and comments.
    # The queue's published script and the log form's dispositions come from the cache. Was 12. With an offer
    # open (the profile says so), one more: the offer with its item, queue, customer and ticket, for its card.
    # During a call, one more: the telephony bridges online (the call bar's hold, transfer and recording pause buttons).
    ("desktop", "get"): Page(7, "agent", lambda org, n: Request("get", url("desktop"), htmx=False)),
    ("status", "get"): Page(1, "agent", lambda org, n: Request("get", url("status"))),
    # 6 (4 in production): the user with their profile; savepoint; the profile locked with its user; update the
    # profile; release; after commit the wallboard's agent_status reads the call the agent is on (its team and
    # queues come from the cache: was 8). The agent of this fixture is on a call, so since the agent state
    # machine the break (or the available clearing it) waits for the end of the call as pending: no presence
    # interval is written.
    ("status", "post"): Page(
        6,
        "agent",
        lambda org, n: Request("post", url("status"), {"status": ("break", "available")[n], "reason": "lunch"}),
    ),
    # 7: above 6: the desktop's 6 (the current call with its customer and CTI call joined, the contact points,
    # the tickets, the timeline's interactions and comments) and the read audit's row: a screen pop is a read
    # of the customer, recorded as it is shown. The row stays a statement of its own: a page read runs outside
    # any transaction (an after-commit write would run at once, the same statement), SQLite cannot carry an
    # INSERT inside a read (no data-modifying WITH; both databases count the same), and a row kept back to be
    # written later in a batch could be lost with its process: a read is recorded before it is shown. Was 13.
    ("current_call", "get"): Page(7, "agent", lambda org, n: Request("get", url("current_call"))),
    # 7: above 6: as current_call (the read audit's row included, for the same reasons), the interaction read
    # by its id. Was 12.
    ("call", "get"): Page(7, "agent", lambda org, n: Request("get", url("call", org.call.pk))),
    # 2: the user with their profile; the interaction (its queue and CTI call joined): all the state line shows.
    ("call_state", "get"): Page(2, "agent", lambda org, n: Request("get", url("call_state", org.call.pk))),
    # 3: the user with their profile; the current call (its CTI call joined: whether it is on hold now, and its
    # recording paused); during a call, the telephony bridges online (which of hold, transfer and the recording's
    # pause are on). Asked again at each status change and hold of the agent.
    ("callbar", "get"): Page(3, "agent", lambda org, n: Request("get", url("callbar"))),
    # 4: the user with their profile; the current call with its CTI call; the bridges online (none here: nothing
    # is asked); the call bar again, with the bridges online (its buttons).
    ("callbar_recording", "post"): Page(4, "agent", lambda org, n: Request("post", url("callbar_recording", "pause"))),
    # Calling from the desk, with no bridge connected and no extension on agent A's profile. 2: the user with
    # their profile (the extension read with it); is a bridge able to dial connected (none: dial by hand).
    ("dial", "post"): Page(2, "agent", lambda org, n: Request("post", url("dial"), {"to": "06 12 34 56 78"})),
    # The call bar's hold, resume and transfer, no bridge connected. 3: the user with their profile; is the agent
    # on that call now (the call with its interaction); the bridges connected (none: the button says why).
    ("call_hold", "post"): Page(
        3, "agent", lambda org, n: Request("post", url("call_hold"), {"call_id": org.call.cti_call.call_id})
    ),
    ("call_resume", "post"): Page(
        3, "agent", lambda org, n: Request("post", url("call_resume"), {"call_id": org.call.cti_call.call_id})
    ),
    ("call_transfer", "post"): Page(
        3,
        "agent",
        lambda org, n: Request("post", url("call_transfer"), {"call_id": org.call.cti_call.call_id, "to": "1002"}),
    ),
    # 6: the user with their profile; the KPI engine for the agent's day: the rollup's days, the volumes and
    # times, the repeat flags' state, FCR, the surveys (one query each, whatever the number of calls;
    # occupancy left out). Loaded after the page, and again when a call's wrap-up ends.
    ("callbar_figures", "get"): Page(6, "agent", lambda org, n: Request("get", url("callbar_figures"))),
    # 5 (3 in production): the user with their profile; whether the call is theirs to log; the session
    # saved with the draft (savepoint, update, release).
    ("call_draft", "post"): Page(
        5,
        "agent",
        lambda org, n: Request("post", url("call_draft", org.call.pk), {"notes": f"Typed {n}"}),
        status=204,
    ),
    # 3: the user with their profile; the interaction (its customer joined); the customer's open tickets. Asked
    # when a ticket is made or changed during a call.
    ("call_tickets", "get"): Page(3, "agent", lambda org, n: Request("get", url("call_tickets", org.call.pk))),
    # 13 (11 in production): above 6: the user with their profile; what the log form needs (the interaction with
    # its customer, their open tickets: 2), read once: the form drawn again shows the interaction as saved (what
    # was joined to it carried over, desk.selectors.call_contact_saved) and the open tickets as read, since a
    # log without a follow-up ticket changes none (with one, they are read again); the write (savepoint; the
    # interaction locked once; the log and the end of the wrap-up, two updates with their history rows; the
    # agent back from wrap-up: their profile locked, their ringing offers and their calls on or in wrap-up read
    # by the state machine in one query; release: 9) and its live events (the two interaction_logged payloads
    # read the interaction once, shared: 1). The disposition chosen and the script come from the cache. Above 6:
    # the two changes keep a history row each and the agent's state follows under their lock. Was 16, 17 (two
    # reads of the open calls), 33 before.
    ("call_log", "post"): Page(
        13,
        "agent",
        lambda org, n: Request(
            "post",
            url("call_log", ended_call(org).pk),
            {"notes": "Explained the invoice", "ticket": "", "disposition": "resolved"},
        ),
    ),
    # 13 (11 in production): above 6: the user with their profile; the interaction; the customer chosen; the
    # write (savepoint, the interaction locked, updated, its history row, release: 5); the call region drawn
    # again from the interaction as saved, with its customer and what was joined to it carried over (4: the
    # customer's contact points, tickets, the timeline's interactions and comments); the live event. Above 6:
    # the region shows the new customer's card and history. Was 14, 27 before.
    ("call_set_customer", "post"): Page(
        13,
        "agent",
        lambda org, n: Request("post", url("call_set_customer", org.call.pk), {"customer": customers(1)[0].pk}),
    ),
    # 17 (15 in production): above 6: the user with their profile; the interaction; the new customer and contact
    # point with their history rows, then the interaction locked and updated with its history row, in one
    # transaction (9: the two services joined, without a savepoint each: contactcenter/core/transactions.py);
    # the call region drawn again (5); the live event. Was 21, 34 before.
    ("call_new_customer", "post"): Page(
        17,
        "agent",
        lambda org, n: Request(
            "post",
            url("call_new_customer", org.call.pk),
            {"first_name": "Paul", "last_name": f"Durand {n}", "language": "fr", "phone": PHONE, "email": ""},
        ),
    ),
    # 6 (4 in production): the user with their profile; the script version; the interaction with its customer
    # (the placeholders name them); the step kept in the call's draft (the session saved: savepoint, update,
    # release). An end step's suggested disposition comes from the cache. Was 14.
    ("script_step", "get"): Page(
        6,
        "agent",
        lambda org, n: Request(
            "get", url("script_step", org.script.pk) + f"?step=billing&interaction={org.call.pk}&trail=greeting"
        ),
    ),
    ("search", "get"): Page(4, "agent", lambda org, n: Request("get", url("search") + "?q=martin")),
    # 7: above 6: the user with their profile; the customer (whether the agent is on a call, to offer "Back to
    # the call", asked in the same query), their contact points, their tickets (open ones and the timeline's
    # in one read), the timeline's interactions and comments; the read audit's row (a statement of its own: see
    # current_call). Was 9.
    ("customer", "get"): Page(7, "agent", lambda org, n: Request("get", url("customer", org.anne.pk))),
    ("tickets_list", "get"): Page(2, "agent", lambda org, n: Request("get", url("tickets_list")), tickets),
    # 6: the user with their profile; the call the ticket starts from (read twice: once for its customer,
    # once for the form), its customer; the categories and queues offered.
    ("ticket_new", "get"): Page(
        6, "agent", lambda org, n: Request("get", url("ticket_new") + f"?interaction={org.call.pk}"), tickets
    ),
    # 9 (7 in production): above 6: the user with their profile; the form's reads (the queue, the customer), then
    # the ticket and its call's link in one transaction (savepoint, release: the services joined, without one
    # each): the reference counter raised and read in one locking UPDATE … RETURNING, insert and history row;
    # then, after commit, the ticket_assigned payload. Whether the new ticket is in the user's sight is known
    # without a query when it is assigned to them (interactions.querysets.ticket_surely_visible; else one). The
    # SLA policy and business calendar come from the cache, the assignee's team is not checked again. Above 6:
    # the form's two checks, the counter and the history row. Was 10, 17 before.
    ("ticket_new", "post"): Page(
        9,
        "agent",
        lambda org, n: Request(
            "post",
            url("ticket_new"),
            {
                "subject": f"Router down {n}",
                "priority": "normal",
                "queue": org.queue_a.pk,
                "assign_to_me": "on",
                "customer": org.anne.pk,
            },
        ),
        tickets,
    ),
    # 6: the user with their profile; the ticket with its names; its mail (none: no attachments read, no
    # canned replies); its comments; its interactions; the assignees offered. Was 5 before the email
    # conversation (its pin on an email ticket: tests/mail/test_desk.py).
    ("ticket_detail", "get"): Page(
        6, "agent", lambda org, n: Request("get", url("ticket_detail", org.ticket.pk)), tickets
    ),
    # 8 (6 in production): above 6 here only by the test's savepoint: the user with their profile; the ticket;
    # its mail (none: not an email ticket); savepoint; insert the comment; release; the panel again (its
    # comments; the ticket as the comment left it, not read again) and the ticket_updated payload. Was 7
    # before the email conversation.
    ("ticket_comment", "post"): Page(
        8,
        "agent",
        lambda org, n: Request("post", url("ticket_comment", org.ticket.pk), {"body": f"Called back {n}"}),
        tickets,
    ),
    # 11 (9 in production): above 6: the user with their profile; the form's reads (the ticket, the agents the
    # assignees are picked from: the assignee chosen among them is not read again), the change (savepoint, the
    # ticket locked to compare versions, update, history row, release), the detail drawn again (the ticket as
    # saved, shown without a read when it is surely still in sight, with what was joined to it carried over;
    # its comments, its interactions; the assignee choices from the agents read above) and the live event's
    # payload. With ROUTING_TICKETS on, one more: the holder's routed work on a ticket now pending is done (one
    # UPDATE). Above 6: the locked version check and the history row, and the detail drawn again. Was 14.
    # 12 since the email conversation: the detail drawn again reads the ticket's mail (none here).
    ("ticket_change", "post"): Page(
        12,
        "agent",
        lambda org, n: Request(
            "post",
            url("ticket_change", org.ticket.pk),
            {"version": 1 + n, "status": ("open", "pending")[n], "priority": "normal", "assignee": org.agent_a.pk},
        ),
        tickets,
    ),
    # 3: the user with their profile; the ticket as the user may see it; the file, on one of its mails.
    ("ticket_email_attachment", "get"): Page(
        3,
        "agent",
        lambda org, n: Request("get", url("ticket_email_attachment", org.ticket.pk, org.email_attachment.pk)),
        email_ticket,
    ),
    # 10 (8 in production): the user with their profile; the ticket; the reply, on it; savepoint; the reply
    # queued again if failed (one UPDATE); its job queued; release; the reply read again; the conversation
    # drawn again (the mail; their attachments).
    ("ticket_email_resend", "post"): Page(
        10,
        "agent",
        lambda org, n: Request("post", url("ticket_email_resend", org.ticket.pk, org.failed_replies[n].pk)),
        email_ticket,
    ),
    # 2: the user with their profile (it says an offer is open); the open offer with its item, queue,
    # customer and ticket joined. Asked for on the socket's offer.
    ("offer_current", "get"): Page(2, "agent", lambda org, n: Request("get", url("offer_current")), work_offered),
    # 11 (9 in production): the user with their profile; the service offer_accept, as the API's (savepoint;
    # the offer; the item locked, which proves the offer still open (was 12 with the offer read again under
    # the lock); the item assigned; the offer closed; the state machine: the profile locked, updated, the
    # agent's open contacts read in one query; the web chat's hook: the chat of a chat item, none here;
    # release). The answer draws the message from what the service gave back: nothing more is read. Was 11
    # before the web chat's hook.
    ("offer_accept", "post"): Page(
        11, "agent", lambda org, n: Request("post", url("offer_accept", fresh_offer(org))), work
    ),
    # 17 (15 in production): the user with their profile; the service offer_decline (9, as offer_accept's,
    # the item put back in the line), then after commit the dispatcher offers the item again (savepoint; the
    # waiting items locked; the queue's rules from the cache, was 3; the candidates ready: 3, was 7; who
    # refused it lately; release): nobody else is eligible here, so no offer is written.
    ("offer_decline", "post"): Page(
        17, "agent", lambda org, n: Request("post", url("offer_decline", fresh_offer(org))), work
    ),
    # 4: the user with their profile; the items they hold with their queue, customer and ticket joined;
    # their capacities; their open calls (voice load).
    ("my_work", "get"): Page(4, "agent", lambda org, n: Request("get", url("my_work")), work),
    ("knowledge_search", "get"): Page(
        2, "agent", lambda org, n: Request("get", url("knowledge_search") + "?q=modem"), articles
    ),
    ("knowledge_article", "get"): Page(
        2, "agent", lambda org, n: Request("get", url("knowledge_article", org.article.pk)), articles
    ),
    # 5: the user with their profile; the courses assigned, their lessons, their quizzes, the caller's
    # completions (one query each kind).
    ("training", "get"): Page(5, "agent", lambda org, n: Request("get", url("training"), htmx=False), courses),
    # 11: above 6: the user with their profile; the course, its lessons, their attachments and articles, its quiz,
    # questions and choices, the caller's attempts and completions, whether it is assigned to them: one query
    # each kind.
    ("training_course", "get"): Page(
        11, "agent", lambda org, n: Request("get", url("training_course", org.course.pk), htmx=False), courses
    ),
    # 10: above 6: the user with their profile; the whole course (course, lessons, attachments, articles, quiz,
    # questions, choices: the navigation), the caller's completions, whether it is assigned to them.
    ("training_lesson", "get"): Page(
        10,
        "agent",
        lambda org, n: Request("get", url("training_lesson", org.course.pk, org.lessons[0].pk), htmx=False),
        courses,
    ),
    # 17: above 6: the user with their profile; the whole course (7 kinds); the completion in its savepoint (the
    # course exists, the completion read, then inserted in a savepoint of its own; whether the course is now
    # complete: its completion, the lessons left, in the same savepoint: was 19). Answered with a redirect.
    ("training_lesson", "post"): Page(
        17,
        "agent",
        lambda org, n: Request("post", url("training_lesson", org.course.pk, org.lessons[n].pk), htmx=False),
        courses,
        status=302,
    ),
    # 9: above 6: the user with their profile; the whole course (7 kinds), whether it is assigned to the caller.
    ("training_quiz", "get"): Page(
        9, "agent", lambda org, n: Request("get", url("training_quiz", org.course.pk), htmx=False), courses
    ),
    # 20: above 6: the user with their profile; the whole course (7 kinds); the attempt in its savepoint: the
    # course, quiz, questions and choices read again to score it, the attempt inserted, whether the course is
    # now complete (in the same savepoint: was 22); the result page's check.
    ("training_quiz", "post"): Page(
        20,
        "agent",
        lambda org, n: Request(
            "post",
            url("training_quiz", org.course.pk),
            {f"question-{pk}": answers for pk, answers in all_right(org.course.quiz).items()},
            htmx=False,
        ),
        courses,
    ),
    ("training_attachment", "get"): Page(
        2, "agent", lambda org, n: Request("get", url("training_attachment", org.attachment.pk), htmx=False), courses
    ),
    # 9: above 6: the board's figures, read by queries reshaped elsewhere for large centers: pinned as they
    # are; plus the current calls of the agents on one (1: agent A is on a call), for their tiles' queue and clock;
    # plus the routed work (1, grouped: per queue and channel the items not yet taken, per agent who has what).
    # Was 8.
    ("wallboard", "get"): Page(9, "supervisor", lambda org, n: Request("get", url("wallboard"), htmx=False)),
    # 9: as the wallboard: the board's figures, the agents' current calls, the routed work (1). Was 8.
    ("wallboard_board", "get"): Page(9, "supervisor", lambda org, n: Request("get", url("wallboard_board"))),
    # 52: above 6: a simulated call goes through the real CTI intake twice (offered, then answered: see
    # tests/api/test_query_counts.py) and the board is drawn again (with its routed work, 1 in each of its two
    # reads); the incoming and interaction_logged payloads, sent after the one commit, read the interaction
    # once. A training aid, not a hot path. Was 60: the queue and the agent's team and queues now come from
    # the cache, a new call is locked by its insert and looks up a stored interaction and its caller's
    # customer in one query, the state machine reads the agent's open calls in one query.
    ("simulate_call", "post"): Page(
        52,
        "supervisor",
        simulate,
    ),
    # 16: above 6: hanging up goes through the real CTI intake (call.ended: the call locked, its events, the
    # interaction and history, the agent's open calls read under their lock in one query, the call's row left
    # alone when nothing of it changed) and its live events. Was 18, and 22 before: the
    # agent of this fixture is still on the fixture's other calls, so since the agent state machine they stay
    # busy (as those calls say): no presence interval written, no status event.
    # 9: the user with their profile; the queue, if the supervisor's wallboard shows it; the callers waiting
    # in it, with their customer and call joined; its routed work not yet taken (customer, ticket, agent
    # joined), their places in line (the line, the handle times, the staffing: 3); where they may move it
    # (the queues, the agents: 2). Was 3.
    ("wallboard_queue", "get"): Page(
        9, "supervisor", lambda org, n: Request("get", url("wallboard_queue", org.queue_a.pk)), wallboard_work
    ),
    # 23 (21 in production): the user with their profile; the item in sight; the queue chosen; the move
    # (savepoint, may the supervisor see the item, the item locked, may they move to the queue, its settings
    # and skills from the cache, the item updated, the log row, release: 7); the item again for the message;
    # the queue's panel drawn again (as its GET, less the user: 8); after commit the dispatcher of the new
    # queue (3: its waiting items locked, the rules from the cache, the agents ready to take work: agent A, its
    # member, is on a call, so nothing more is read of them, nor the declines). Was 36. A supervisor's rare
    # action.
    ("wallboard_work_move", "post"): Page(23, "supervisor", chat_to_move, wallboard_work),
    # 7: the user with their profile; the agent, if the supervisor may see them (team, user, who asked for
    # what is pending); their presence intervals of the day (who set them joined); their contacts of the day
    # (queue and disposition joined); who has what: their routed items (queue, customer, ticket joined); where
    # the supervisor may move them (the queues, the agents: 2). Was 4.
    ("wallboard_agent", "get"): Page(
        7, "supervisor", lambda org, n: Request("get", url("wallboard_agent", "agent_a")), wallboard_work
    ),
    # 12: above 6: the user with their profile; the agent (1); the state machine (savepoint, the profile
    # locked with its user, update the profile, release: 4; the agent is on a call, so the break or offline
    # waits as pending, no interval is written); after commit the wallboard's agent_status (the call they are
    # on; their team and queues come from the cache: was 12); the agent read again and their day (3) and
    # their routed work (1) for the panel drawn again (was 10).
    ("wallboard_agent_status", "post"): Page(
        11,
        "supervisor",
        lambda org, n: Request(
            "post", url("wallboard_agent_status", "agent_a"), {"status": ("break", "offline")[n], "reason": "lunch"}
        ),
        wallboard_day,
    ),
    # 2: the user with their profile; the callbacks in their hands or promised by them, queue and customer
    # joined. Loaded after the desktop, and again when a log promises one or the agent's status moves.
    ("callbacks", "get"): Page(2, "agent", lambda org, n: Request("get", url("callbacks")), callbacks_promised),
    # 4: the user with their profile; the callback if the agent may work it; the agent has no extension,
    # so is a bridge able to dial connected (none: the agent dials by hand); the panel drawn again.
    ("callback_dial", "post"): Page(
        4, "agent", lambda org, n: Request("post", url("callback_dial", org.callback.pk)), callbacks_promised
    ),
    # 10 (8 in production): the user with their profile; the callback if the agent may work it; the attempt
    # logged in a savepoint (its work item's id, then the callback locked; no open work item here; the attempt
    # written, the callback saved, the retry's job queued); the panel drawn again.
    ("callback_attempt", "post"): Page(
        10,
        "agent",
        lambda org, n: Request("post", url("callback_attempt", org.callback.pk), {"outcome": "no_answer"}),
        callbacks_promised,
    ),
    # Web chat (contactcenter/desk/chats.py, docs/desktop.md): agent A's chats (chats()).
    # 3: the user with their profile; the agent's open chats (customer, widget and queue, interaction joined;
    # each one's unread count in the same query); their last messages (one prefetch). Loaded with the desktop
    # and on chat.started, chat.ended.
    ("chat_tabs", "get"): Page(3, "agent", lambda org, n: Request("get", url("chat_tabs")), chats),
    # 10: the user with their profile; the chat if the user may read it (customer, widget, queue, interaction,
    # agent joined); its messages (agent and article joined); the customer and their contact points; their
    # tickets, the timeline's interactions and comments (3); the queue's canned replies; the read audit's row.
    ("chat_detail", "get"): Page(10, "agent", chat_request("chat_detail"), chats),
    # 3: the user with their profile; the chat; its messages after the last one shown. On every chat.message.
    ("chat_messages", "get"): Page(3, "agent", chat_request("chat_messages"), chats),
    # 4: the user with their profile; the chat; the chat queues; the agents the user may see who serve one.
    ("chat_transfer_form", "get"): Page(4, "agent", chat_request("chat_transfer_form"), chats),
    # 4: the user with their profile; the chat; the customers found and their contact points (one each).
    ("chat_identify_search", "get"): Page(
        4,
        "agent",
        lambda org, n: Request("get", url("chat_identify_search", getattr(org, "chat", org.anne).pk) + "?q=martin"),
        chats,
    ),
    # 2: the user with their profile; the team's open chats with their agent, customer and queue joined.
    ("team_chats", "get"): Page(2, "supervisor", lambda org, n: Request("get", url("team_chats"), htmx=False), chats),
    # 2: the user with their profile; the messages of the chat behind an interaction the user may see.
    ("chat_transcript", "get"): Page(
        2,
        "agent",
        lambda org, n: Request(
            "get",
            url(
                "chat_transcript",
                getattr(org, "past_chat", org.call).interaction_id if hasattr(org, "past_chat") else org.call.pk,
            ),
        ),
        chats,
    ),
    # 7 (5 in production): the user with their profile; the chat; chat_agent_send (savepoint, the chat locked,
    # its last activity, the message written, release); after commit, the events carry what was read.
    ("chat_send", "post"): Page(7, "agent", chat_request("chat_send", {"text": "Anything else?"}), chats, status=204),
    # 4 (2 in production): the user with their profile; the chat; chat_agent_typing (savepoint, release).
    ("chat_typing", "post"): Page(4, "agent", chat_request("chat_typing", {"typing": "1"}), chats, status=204),
    # 5: the user with their profile; the chat; where it may go (2); no queue or agent chosen: refused.
    ("chat_transfer", "post"): Page(5, "agent", chat_request("chat_transfer", {"queue": "0"}), chats, status=400),
    # 23: the user with their profile; the chat; the customer; chat_identify (the chat locked and saved, its
    # interaction updated with its history: savepoints included); the chat read again and its panel drawn (as
    # chat_detail, the customer's card and history now beside it). A rare action.
    ("chat_identify", "post"): Page(
        23,
        "agent",
        chat_request("chat_identify", {"customer": lambda org: org.anne.pk}, fresh=True),
        chats,
    ),
    # 25: the user with their profile; the chat; chat_close (the chat locked, its interaction ended and wrapped
    # up with its history, its work item done and the agent's capacity freed, the system's message); the panel
    # drawn again (over: no canned replies). A rare action.
    ("chat_close", "post"): Page(25, "agent", chat_request("chat_close", {}, fresh=True), chats),
    ("simulated_call_end", "post"): Page(
        16, "supervisor", lambda org, n: Request("post", url("simulated_call_end", simulated(org).pk)), status=204
    ),
    # Quality management (docs/quality.md "On the desk"), each page with the user and their profile first.
    # Lists (queue: samples, drafts, calibrations, disputes; search; mine; disputes; calibrations) read each
    # kind once, whatever their length; the evaluation page reads the evaluation with its contact, the
    # scorecard's sections and criteria, the answers, the disputes and what the contact shows (recording,
    # transcript, script path). Writes go through contactcenter.quality.services (savepoints counted) and
    # answer with a redirect.
    ("quality_queue", "get"): Page(
        5, "supervisor", lambda org, n: Request("get", url("quality_queue"), htmx=False), quality
    ),
    ("quality_search", "get"): Page(
        2, "supervisor", lambda org, n: Request("get", url("quality_search") + "?agent=agent_a", htmx=False), quality
    ),
    ("quality_interaction", "get"): Page(
        4,
        "supervisor",
        lambda org, n: Request("get", url("quality_interaction", _qm(org, "qm_call").pk), htmx=False),
        quality,
    ),
    ("quality_evaluate", "post"): Page(
        9,
        "supervisor",
        lambda org, n: Request("post", url("quality_evaluate", _qm(org, "qm_fresh", n).pk), htmx=False),
        quality,
        status=302,
    ),
    ("quality_evaluation", "get"): Page(
        6,
        "supervisor",
        lambda org, n: Request("get", url("quality_evaluation", _qm(org, "qm_drafts").pk), htmx=False),
        quality,
    ),
    # 10: saving a draft (the criteria read by the version's id since the service's one query less).
    ("quality_evaluation", "post"): Page(
        10,
        "supervisor",
        lambda org, n: Request(
            "post",
            url("quality_evaluation", _qm(org, "qm_drafts").pk),
            {**_scorecard_form(org), "comment": "Fine.", "action": "save"},
            htmx=False,
        ),
        quality,
        status=302,
    ),
    ("quality_acknowledge", "post"): Page(
        7,
        "agent",
        lambda org, n: Request("post", url("quality_acknowledge", _qm(org, "qm_to_answer", n).pk), htmx=False),
        quality,
        status=302,
    ),
    ("quality_dispute", "post"): Page(
        9,
        "agent",
        lambda org, n: Request(
            "post", url("quality_dispute", _qm(org, "qm_to_answer", 2 + n).pk), {"reason": "I did."}, htmx=False
        ),
        quality,
        status=302,
    ),
    ("quality_mine", "get"): Page(2, "agent", lambda org, n: Request("get", url("quality_mine"), htmx=False), quality),
    ("quality_trend", "get"): Page(2, "agent", lambda org, n: Request("get", url("quality_trend")), quality),
    ("quality_disputes", "get"): Page(
        2, "supervisor", lambda org, n: Request("get", url("quality_disputes"), htmx=False), quality
    ),
    ("quality_dispute_review", "get"): Page(
        5,
        "supervisor",
        lambda org, n: Request("get", url("quality_dispute_review", _qm(org, "qm_disputes").pk), htmx=False),
        quality,
    ),
    ("quality_dispute_review", "post"): Page(
        14,
        "supervisor",
        lambda org, n: Request(
            "post",
            url("quality_dispute_review", _qm(org, "qm_disputes", n).pk),
            {"decision": "upheld", "comment": "It stands."},
            htmx=False,
        ),
        quality,
        status=302,
    ),
    ("quality_calibrations", "get"): Page(
        2, "supervisor", lambda org, n: Request("get", url("quality_calibrations"), htmx=False), quality
    ),
    ("quality_calibration_new", "get"): Page(
        3, "manager", lambda org, n: Request("get", url("quality_calibration_new"), htmx=False), quality
    ),
    ("quality_calibration_new", "post"): Page(
        9,
        "manager",
        lambda org, n: Request(
            "post",
            url("quality_calibration_new"),
            {
                "title": f"Calibration {n}",
                "interaction": _qm(org, "qm_call").pk,
                "version": _qm(org, "qm_version").pk,
                "evaluators": [org.supervisor_a.pk, _qm(org, "qm_qa").pk],
            },
            htmx=False,
        ),
        quality,
        status=302,
    ),
    ("quality_calibration", "get"): Page(
        4,
        "supervisor",
        lambda org, n: Request("get", url("quality_calibration", _qm(org, "qm_sessions").pk), htmx=False),
        quality,
    ),
    ("quality_calibration", "post"): Page(
        16,
        "supervisor",
        lambda org, n: Request(
            "post", url("quality_calibration", _qm(org, "qm_sessions", n).pk), {"action": "score"}, htmx=False
        ),
        quality,
        status=302,
    ),
}


def page_names() -> set[str]:
    """Every route of the pages: the ``desk`` namespace and the home page."""
    names = set()

    def walk(patterns, namespace: str | None = None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif namespace == "desk" or pattern.name == "home":
                names.add(pattern.name)

    walk(get_resolver().url_patterns)
    return names


def client_for(org, role: str) -> Client:
    client = Client()
    users = {"agent": org.agent_a, "supervisor": org.supervisor_a, "manager": org.manager}
    if role != "anonymous":
        client.force_login(users[role])
    return client


def test_every_page_is_counted(org):
    """Each route has an entry, and a method without one is refused (405): every method a page
    answers is counted."""
    assert page_names() == {name for name, _method in PAGES}
    callbacks_promised(org, 1)
    org.ticket = TicketFactory(customer=org.anne, queue=org.queue_a, assignee=org.agent_a)
    org.email_attachment, org.failed_replies = SimpleNamespace(pk=1), [SimpleNamespace(pk=1)]
    articles(org, 1)
    courses(org, 1)
    for name in page_names():
        counted = {method for page_name, method in PAGES if page_name == name}
        page = PAGES[(name, sorted(counted)[0])]
        request = page.request(org, 0)
        for method in {"get", "post"} - counted:
            response = getattr(client_for(org, page.role), method)(request.url)
            assert response.status_code == 405, (name, method)


@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.parametrize(("name", "method"), sorted(PAGES), ids=lambda v: str(v))
def test_page(
    name, method, rows, org, settings, tmp_path, django_assert_num_queries, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    page = PAGES[(name, method)]
    page.rows(org, rows)
    client = client_for(org, page.role)
    for attempt in (0, 1):  # the first warms what a process keeps, the second is measured
        if page.fresh:
            client = client_for(org, page.role)
        request = page.request(org, attempt)
        send = getattr(client, request.method)
        headers = HTMX if request.htmx else {}
        measure = django_assert_num_queries(page.queries, exact=True) if attempt else nullcontext()
        with measure, django_capture_on_commit_callbacks(execute=True):
            response = send(request.url, request.data, **headers)
        assert response.status_code == page.status, (attempt, response.content[:500])
