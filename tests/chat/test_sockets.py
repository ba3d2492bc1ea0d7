"""The visitor's socket ``ws/chat/`` through the real ASGI application (origin check, limits, the
bot, the hand-over to an agent and the agent's ``chat.*`` events on ``ws/agent/``)."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model

from contactcenter.asgi import application
from contactcenter.chat import consumers
from contactcenter.chat.models import MAX_MESSAGE_CHARS, ChatConversation
from contactcenter.chat.services import chat_agent_send, chat_close
from contactcenter.distribution.models import WorkOffer
from contactcenter.distribution.services import offer_accept
from tests.chat.factories import ORIGIN, agent, internal_article, public_article, widget
from tests.live.sockets import in_worker, open_socket, receive, receive_type
from tests.routing.factories import chat_queue

pytestmark = pytest.mark.django_db(transaction=True)


def visitor(key: str, origin: str | None = ORIGIN, lang: str = "en") -> WebsocketCommunicator:
    headers = [(b"origin", origin.encode())] if origin else []
    return WebsocketCommunicator(application, f"/ws/chat/?key={key}&lang={lang}", headers=headers)


async def started(key: str, token: str | None = None) -> tuple[WebsocketCommunicator, dict]:
    communicator = visitor(key)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    await communicator.send_to(text_data=json.dumps({"type": "start", "token": token}))
    return communicator, await receive_type(communicator, "welcome")


async def say(communicator: WebsocketCommunicator, **data) -> None:
    await communicator.send_to(text_data=json.dumps(data))


@pytest.mark.parametrize("origin", ["https://evil.example.com", None, "http://testserver"])
def test_an_origin_not_allowed_is_refused(origin):
    chat_widget = widget()

    async def scenario():
        communicator = visitor(chat_widget.key, origin=origin)
        connected, _ = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected

    assert asyncio.run(scenario()) is False


def test_an_unknown_or_inactive_widget_is_refused():
    chat_widget = widget(is_active=False)

    async def scenario():
        results = []
        for key in (chat_widget.key, "nope"):
            communicator = visitor(key)
            connected, _ = await communicator.connect(timeout=5)
            await communicator.disconnect()
            results.append(connected)
        return results

    assert asyncio.run(scenario()) == [False, False]


def test_reload_keeps_the_conversation():
    chat_widget = widget(greeting={"en": "Welcome!"})

    async def scenario():
        first, welcome = await started(chat_widget.key)
        await say(first, type="message", text="hello there")
        await receive_type(first, "message")
        await first.disconnect()
        second, again = await started(chat_widget.key, token=welcome["token"])
        await second.disconnect()
        return welcome, again

    welcome, again = asyncio.run(scenario())
    assert welcome["token"] and again["token"] is None
    assert again["conversation"] == welcome["conversation"]
    assert [m["text"] for m in again["messages"]][:2] == ["Welcome!", "hello there"]
    assert welcome["strings"]["send"] == "Send"
    assert ChatConversation.objects.count() == 1


def test_an_unknown_token_starts_a_new_conversation():
    chat_widget = widget()

    async def scenario():
        communicator, welcome = await started(chat_widget.key, token="forged")
        await communicator.disconnect()
        return welcome

    assert asyncio.run(scenario())["token"]


def test_size_and_rate_limits():
    chat_widget = widget()

    async def scenario():
        communicator, _welcome = await started(chat_widget.key)
        await say(communicator, type="message", text="x" * (MAX_MESSAGE_CHARS + 1))
        too_long = await receive_type(communicator, "error")
        await communicator.send_to(text_data="y" * (consumers.MAX_FRAME_CHARS + 1))
        frame = await receive_type(communicator, "error")
        for _n in range(consumers.MESSAGES_PER_WINDOW):
            await say(communicator, type="ping")
        limited = await receive_type(communicator, "error")
        await communicator.disconnect()
        return too_long, frame, limited

    too_long, frame, limited = asyncio.run(scenario())
    assert "text" in too_long["errors"] and "text" in frame["errors"]
    assert "Too many" in limited["errors"]["type"][0]


def test_starts_are_limited_per_address(monkeypatch):
    monkeypatch.setattr(consumers, "STARTS_PER_HOUR", 1)
    chat_widget = widget()

    async def scenario():
        first, _welcome = await started(chat_widget.key)
        await first.disconnect()
        second = visitor(chat_widget.key)
        await second.connect(timeout=5)
        await say(second, type="start", token=None)
        refused = await receive_type(second, "error")
        output = await second.receive_output(timeout=5)
        await second.disconnect()
        return refused, output

    refused, output = asyncio.run(scenario())
    assert refused["request"] == "start" and output == {"type": "websocket.close", "code": consumers.CLOSE_TOO_MANY}


def test_the_bot_quotes_a_public_article_never_an_internal_one():
    article = public_article()
    internal_article()
    chat_widget = widget()

    async def scenario():
        communicator, _welcome = await started(chat_widget.key)
        await say(communicator, type="message", text="How can I reset my password?")
        mine = await receive_type(communicator, "message")
        answer = await receive_type(communicator, "message")
        await say(communicator, type="message", text="refund override approval code back office")
        await receive_type(communicator, "message")
        after_internal = await receive_type(communicator, "message")
        await communicator.disconnect()
        return mine, answer, after_internal

    mine, answer, after_internal = asyncio.run(scenario())
    assert mine["message"]["author"] == "visitor"
    assert answer["message"]["author"] == "bot" and answer["feedback"]
    assert answer["message"]["article"] == {"title": article.title, "url": f"/portal/articles/{article.slug}/"}
    assert after_internal["message"]["article"] is None
    assert "4471" not in after_internal["message"]["text"]


def test_hand_over_offer_accept_agent_events_and_end():
    queue = chat_queue()
    profile = agent(queue)
    user = get_user_model().objects.get(pk=profile.user_id)
    chat_widget = widget(queue)

    async def scenario():
        agent_socket = await open_socket("/ws/agent/", user)
        communicator, _welcome = await started(chat_widget.key)
        try:
            await say(communicator, type="agent")
            waiting = await receive_type(communicator, "state")
            place = await receive_type(communicator, "queue")
            offered = await receive_type(agent_socket, "offer")
            offer = await in_worker(WorkOffer.objects.get)
            await in_worker(offer_accept, offer_id=offer.pk, by=user)
            chat_started = await receive_type(agent_socket, "chat.started")
            active = await receive_type(communicator, "state")
            await say(communicator, type="message", text="My order is late")
            to_agent = await receive_type(agent_socket, "chat.message")
            await say(communicator, type="typing", typing=True)
            typing = await receive_type(agent_socket, "chat.typing")
            conversation = await in_worker(ChatConversation.objects.get)
            await in_worker(chat_agent_send, conversation=conversation, by=user, text="Let me check.")
            from_agent = await receive_type(communicator, "message")
            while from_agent["message"]["author"] != "agent":
                from_agent = await receive_type(communicator, "message")
            await in_worker(chat_close, conversation=conversation, by=user)
            ended_agent = await receive_type(agent_socket, "chat.ended")
            ended = await receive_type(communicator, "ended")
            await say(communicator, type="csat", score=5)
            recorded = await receive_type(communicator, "csat_recorded")
            return (
                waiting,
                place,
                offered,
                chat_started,
                active,
                to_agent,
                typing,
                from_agent,
                ended_agent,
                ended,
                recorded,
            )
        finally:
            await communicator.disconnect()
            await agent_socket.disconnect()

    waiting, place, offered, chat_started, active, to_agent, typing, from_agent, ended_agent, ended, recorded = (
        asyncio.run(scenario())
    )
    conversation = ChatConversation.objects.get()
    assert waiting["state"] == "waiting"
    assert set(place) >= {"position", "estimated_wait_seconds"}
    assert offered["item"]["kind"] == "chat"
    assert chat_started["conversation"] == conversation.pk
    assert chat_started["interaction"] == conversation.interaction_id and chat_started["queue"] == queue.name
    assert active["state"] == "active" and active["agent_name"]
    assert to_agent["message"]["text"] == "My order is late" and typing["typing"] is True
    assert from_agent["message"]["text"] == "Let me check."
    assert ended_agent["by"] == "agent" and ended["by"] == "agent" and ended["csat"] is True
    assert recorded["score"] == 5 and conversation.csat == 5
    assert conversation.interaction.survey_responses.get().score == 5


def test_nobody_available_then_leave_a_message():
    queue = chat_queue()
    chat_widget = widget(queue)

    async def scenario():
        communicator, _welcome = await started(chat_widget.key)
        await say(communicator, type="agent")
        asked = await receive_type(communicator, "leave_message")
        await say(communicator, type="leave_message", name="Ann Lee", email="ann@example.com", text="Call me")
        ended = await receive_type(communicator, "ended")
        await communicator.disconnect()
        return asked, ended

    asked, ended = asyncio.run(scenario())
    conversation = ChatConversation.objects.get()
    assert asked["reason"] == "nobody" and ended["by"] == "visitor" and ended["csat"] is False
    assert conversation.ticket.description == "Call me" and conversation.ticket.customer.first_name == "Ann"


def test_messages_need_a_start_first():
    chat_widget = widget()

    async def scenario():
        communicator = visitor(chat_widget.key)
        await communicator.connect(timeout=5)
        await say(communicator, type="message", text="hi")
        error = await receive(communicator)
        await communicator.disconnect()
        return error

    assert asyncio.run(scenario())["type"] == "error"


def test_the_widget_speaks_the_visitors_language():
    chat_widget = widget(languages=["fr", "en"])

    async def scenario():
        communicator = visitor(chat_widget.key, lang="fr-FR")
        await communicator.connect(timeout=5)
        await say(communicator, type="start", token=None)
        welcome = await receive_type(communicator, "welcome")
        await say(communicator, type="message", text="")
        error = await receive_type(communicator, "error")
        await communicator.disconnect()
        return welcome, error

    welcome, error = asyncio.run(scenario())
    assert welcome["language"] == "fr" and welcome["strings"]["send"] == "Envoyer"
    assert welcome["messages"][0]["text"].startswith("Bonjour")
    assert error["errors"]["text"] == ["Écrivez un message."]
