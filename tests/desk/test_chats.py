"""Web chat on the agent desktop (contactcenter/desk/chats.py, docs/desktop.md "Web chat"): the
agent's tabs and a chat's panel, the message box, canned replies, knowledge links, linking the
visitor to a customer, transfer, close and the transcript on the customer's history; and who may
read and write a chat: its own agent writes, a supervisor of their team reads, anyone else gets 404.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from contactcenter.chat import services
from contactcenter.chat.models import ChatConversation, ChatMessage, ConversationState
from contactcenter.desk.selectors import current_call
from contactcenter.distribution.models import WorkItem
from contactcenter.distribution.services import offer_accept
from contactcenter.mail.models import CannedReply
from interactions.models import Interaction
from tests.agents.factories import PASSWORD, AgentProfileFactory, QueueFactory, TeamFactory
from tests.chat.factories import agent, internal_article, public_article, start, widget
from tests.customers.factories import CustomerFactory, EmailFactory
from tests.routing.factories import chat_queue

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def signed_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def chat(django_capture_on_commit_callbacks):
    """A chat queue with its widget, agent alice (team A) and her supervisor, agent bob (team B);
    a visitor (Zoé) who asked for a person, alice accepted the offer, and Zoé asked a question."""
    queue = chat_queue()
    alice = agent(queue, "alice")
    team_b = TeamFactory(name="Team B")
    bob = AgentProfileFactory(user__username="bob", team=team_b, queues=[queue]).user
    AgentProfileFactory(user__username="carol", team=alice.team, queues=[queue], status="available")
    boss = AgentProfileFactory(user__username="boss", role="supervisor", team=alice.team).user
    other_boss = AgentProfileFactory(user__username="other_boss", role="supervisor", team=team_b).user
    conversation, _token = start(widget(queue))
    ChatConversation.objects.filter(pk=conversation.pk).update(visitor_name="Zoé", visitor_email="zoe@example.test")
    conversation.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_request_agent(conversation=conversation)
    conversation.refresh_from_db()
    offer = WorkItem.objects.get(pk=conversation.work_item_id).offers.get()
    with django_capture_on_commit_callbacks(execute=True):
        offer_accept(offer_id=offer.pk, by=alice.user)
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.ACTIVE and conversation.agent_id == alice.user_id
    services.chat_visitor_send(conversation=conversation, text="Hello, is my order shipped?")
    return type(
        "Chat",
        (),
        {
            "conversation": conversation,
            "queue": queue,
            "alice": alice.user,
            "bob": bob,
            "boss": boss,
            "other_boss": other_boss,
        },
    )


def url(name: str, *args) -> str:
    return reverse(f"desk:{name}", args=args)


def test_the_accepted_chat_is_a_tab_and_its_panel_shows_the_conversation(chat):
    client = signed_in("alice")
    desktop = client.get(url("desktop"))
    assert b'id="chats-panel"' in desktop.content and b"desk/chat.js" in desktop.content

    tabs = client.get(url("chat_tabs"), **HTMX)
    assert tabs.status_code == 200
    assert f'data-chat="{chat.conversation.pk}"'.encode() in tabs.content
    assert "Zoé" in tabs.content.decode()

    panel = client.get(url("chat_detail", chat.conversation.pk), **HTMX).content.decode()
    assert "Hello, is my order shipped?" in panel
    assert "joined the chat" in panel  # the system's message
    assert "data-chat-form" in panel and "data-writable" in panel
    # Not linked yet: the search to find the customer, prefilled with the email the visitor gave.
    assert "Who is the visitor?" in panel and 'value="zoe@example.test"' in panel


def test_the_visitors_messages_since_the_agents_last_one_are_unread(chat):
    client = signed_in("alice")
    assert b'data-unread="1"' in client.get(url("chat_tabs"), **HTMX).content
    services.chat_agent_send(conversation=chat.conversation, by=chat.alice, text="Let me check.")
    assert b'data-unread="0"' in client.get(url("chat_tabs"), **HTMX).content
    services.chat_visitor_send(conversation=chat.conversation, text="Thanks")
    services.chat_visitor_send(conversation=chat.conversation, text="Order 42")
    assert b'data-unread="2"' in client.get(url("chat_tabs"), **HTMX).content


def test_a_chat_is_not_the_agents_current_call(chat):
    # The chat's interaction is answered by the agent, and not wrapped up: still no call.
    interaction = Interaction.objects.get(pk=chat.conversation.interaction_id)
    assert interaction.agent_id == chat.alice.pk and interaction.answered_at is not None
    assert current_call(user=chat.alice) is None


def test_the_agent_sends_and_gets_the_new_messages(chat):
    client = signed_in("alice")
    last = ChatMessage.objects.filter(conversation=chat.conversation).latest("id").pk
    response = client.post(url("chat_send", chat.conversation.pk), {"text": "Yes, it left today."}, **HTMX)
    assert response.status_code == 204
    sent = ChatMessage.objects.get(conversation=chat.conversation, author="agent")
    assert (sent.text, sent.agent_id) == ("Yes, it left today.", chat.alice.pk)

    new = client.get(url("chat_messages", chat.conversation.pk) + f"?after={last}", **HTMX).content.decode()
    assert f'data-message="{sent.pk}"' in new and "Yes, it left today." in new
    assert "Hello, is my order shipped?" not in new

    empty = client.post(url("chat_send", chat.conversation.pk), {"text": "   "}, **HTMX)
    assert empty.status_code == 400 and empty.content.decode().strip()
    assert client.post(url("chat_typing", chat.conversation.pk), {"typing": "1"}, **HTMX).status_code == 204


def test_canned_replies_of_the_chat_queue_are_filled_for_the_chat(chat):
    CannedReply.objects.create(
        queue=chat.queue, title="Greeting", body="Hello {customer_first_name}, {agent_name} here."
    )
    CannedReply.objects.create(queue=chat.queue, title="Old one", body="Gone", is_active=False)
    panel = signed_in("alice").get(url("chat_detail", chat.conversation.pk), **HTMX).content.decode()
    assert "Greeting" in panel and f"Hello Zoé, {chat.alice.get_full_name()} here." in panel
    assert "Old one" not in panel


def test_a_public_article_may_be_put_in_the_chat_an_internal_one_may_not(chat):
    public = public_article(slug="reset-password")
    internal = internal_article()
    client = signed_in("alice")
    shown = client.get(url("knowledge_article", public.pk), **HTMX).content.decode()
    assert "data-chat-insert" in shown and "/portal/articles/reset-password/" in shown
    assert "data-chat-insert" not in client.get(url("knowledge_article", internal.pk), **HTMX).content.decode()


def test_the_agent_links_the_visitor_to_a_customer(chat):
    customer = CustomerFactory(first_name="Zoé", last_name="Martin")
    EmailFactory(customer=customer, value="zoe@example.test")
    client = signed_in("alice")
    found = client.get(url("chat_identify_search", chat.conversation.pk) + "?q=zoe@example.test", **HTMX)
    assert "This is the visitor" in found.content.decode() and "Martin" in found.content.decode()

    linked = client.post(url("chat_identify", chat.conversation.pk), {"customer": customer.pk}, **HTMX)
    assert linked.status_code == 200
    assert "chats-changed" in linked.headers["HX-Trigger"]
    assert f'data-customer="{customer.pk}"' in linked.content.decode()  # the card beside the chat
    chat.conversation.refresh_from_db()
    assert chat.conversation.customer_id == customer.pk
    assert Interaction.objects.get(pk=chat.conversation.interaction_id).customer_id == customer.pk
    assert client.post(url("chat_identify", chat.conversation.pk), {"customer": 999999}, **HTMX).status_code == 404


def test_closing_the_chat_puts_its_transcript_on_the_customers_history(chat):
    customer = CustomerFactory(first_name="Zoé", last_name="Martin")
    services.chat_identify(conversation=chat.conversation, by=chat.alice, customer=customer)
    client = signed_in("alice")
    client.post(url("chat_send", chat.conversation.pk), {"text": "Anything else?"}, **HTMX)
    closed = client.post(url("chat_close", chat.conversation.pk), **HTMX)
    assert closed.status_code == 200 and "chats-changed" in closed.headers["HX-Trigger"]
    page = closed.content.decode()
    assert "This chat is over" in page and "data-chat-form" not in page
    chat.conversation.refresh_from_db()
    assert chat.conversation.state == ConversationState.CLOSED
    assert f'data-chat="{chat.conversation.pk}"'.encode() not in client.get(url("chat_tabs"), **HTMX).content
    # Over: nothing more is said in it.
    assert client.post(url("chat_send", chat.conversation.pk), {"text": "Hello?"}, **HTMX).status_code == 409

    history = client.get(url("customer", customer.pk), **HTMX).content.decode()
    transcript_url = url("chat_transcript", chat.conversation.interaction_id)
    assert transcript_url in history and "Transcript" in history
    transcript = client.get(transcript_url, **HTMX).content.decode()
    assert "Hello, is my order shipped?" in transcript and "Anything else?" in transcript


def test_the_transfer_form_offers_the_chat_queues_and_the_colleagues_in_sight(chat):
    chat_queue("Chat EN")
    client = signed_in("alice")
    form = client.get(url("chat_transfer_form", chat.conversation.pk), **HTMX).content.decode()
    assert "Chat EN" in form and "Chat FR" in form
    assert 'value="bob"' in form and 'value="carol"' in form  # any colleague serving a chat queue
    assert 'value="alice"' not in form
    refused = client.post(url("chat_transfer", chat.conversation.pk), {}, **HTMX)
    assert refused.status_code == 400 and "Choose a queue or a colleague" in refused.content.decode()


def test_a_transfer_the_routing_refuses_says_why_and_changes_nothing(chat):
    voice = QueueFactory(name="Voice", channel="voice")
    refused = signed_in("alice").post(url("chat_transfer", chat.conversation.pk), {"agent": "ghost"}, **HTMX)
    assert refused.status_code == 400 and "Choose a queue or a colleague" in refused.content.decode()
    refused = signed_in("alice").post(url("chat_transfer", chat.conversation.pk), {"queue": voice.pk}, **HTMX)
    assert refused.status_code == 400  # not a chat queue: not a target at all
    chat.conversation.refresh_from_db()
    assert chat.conversation.state == ConversationState.ACTIVE and chat.conversation.agent_id == chat.alice.pk


def test_the_agent_transfers_their_chat_to_another_queue(chat, django_capture_on_commit_callbacks):
    other = chat_queue("Chat EN")
    with django_capture_on_commit_callbacks(execute=True):
        moved = signed_in("alice").post(url("chat_transfer", chat.conversation.pk), {"queue": other.pk}, **HTMX)
    assert moved.status_code == 200 and "Chat EN" in moved.content.decode()
    chat.conversation.refresh_from_db()
    item = WorkItem.objects.get(pk=chat.conversation.work_item_id)
    assert chat.conversation.agent_id is None and item.queue == other
    assert item.state in ("waiting", "offered") and item.assigned_to_id is None


def test_the_agent_transfers_their_chat_to_a_colleague_of_another_team(chat, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        moved = signed_in("alice").post(url("chat_transfer", chat.conversation.pk), {"agent": "bob"}, **HTMX)
    assert moved.status_code == 200
    chat.conversation.refresh_from_db()
    item = WorkItem.objects.get(pk=chat.conversation.work_item_id)
    # Bob is offline: offered to him is refused by the routing rules; held work is his at once
    # when he has room for a chat.
    assert (item.state, item.assigned_to_id, chat.conversation.agent_id) == ("assigned", chat.bob.pk, chat.bob.pk)


def test_a_chat_transferred_away_leaves_the_tabs(chat, django_capture_on_commit_callbacks):
    carol = AgentProfileFactory._meta.model.objects.get(user__username="carol")
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_transfer(conversation=chat.conversation, by=chat.boss, agent=carol.user)
    chat.conversation.refresh_from_db()
    assert chat.conversation.agent_id == carol.user_id
    assert (
        f'data-chat="{chat.conversation.pk}"'.encode() not in signed_in("alice").get(url("chat_tabs"), **HTMX).content
    )
    assert f'data-chat="{chat.conversation.pk}"'.encode() in signed_in("carol").get(url("chat_tabs"), **HTMX).content
    assert signed_in("alice").get(url("chat_detail", chat.conversation.pk), **HTMX).status_code == 404


WRITES = [
    ("chat_send", {"text": "Hi"}),
    ("chat_typing", {"typing": "1"}),
    ("chat_close", {}),
    ("chat_transfer", {"agent": "bob"}),
    ("chat_identify", {"customer": "1"}),
]


@pytest.mark.parametrize("username", ["bob", "other_boss"])
def test_another_agent_may_neither_read_nor_write_the_chat(chat, username):
    client = signed_in(username)
    pk = chat.conversation.pk
    for name in ("chat_detail", "chat_messages", "chat_transfer_form", "chat_identify_search"):
        assert client.get(url(name, pk), **HTMX).status_code == 404, name
    for name, data in WRITES:
        assert client.post(url(name, pk), data, **HTMX).status_code == 404, name
    # The chat on the customer's history (bob serves the chat's queue): no transcript while it is on.
    # (404 when the interaction is out of their sight).
    transcript = client.get(url("chat_transcript", chat.conversation.interaction_id), **HTMX)
    assert transcript.status_code in (200, 404)
    assert "Hello, is my order shipped?" not in transcript.content.decode()
    if username == "bob":
        assert "once the chat is over" in transcript.content.decode()
    assert f'data-chat="{pk}"'.encode() not in client.get(url("chat_tabs"), **HTMX).content
    assert ChatMessage.objects.filter(conversation_id=pk, author="agent").count() == 0
    chat.conversation.refresh_from_db()
    assert chat.conversation.state == ConversationState.ACTIVE


def test_the_supervisor_of_the_team_reads_the_chat_without_writing(chat):
    client = signed_in("boss")
    pk = chat.conversation.pk
    team = client.get(url("team_chats"))
    assert team.status_code == 200 and url("chat_detail", pk) in team.content.decode()
    page = client.get(url("chat_detail", pk))  # a page of its own, from the team's list
    assert page.status_code == 200
    assert "Hello, is my order shipped?" in page.content.decode()
    assert "read-only" in page.content.decode() and "data-chat-form" not in page.content.decode()
    for name, data in WRITES:
        assert client.post(url(name, pk), data, **HTMX).status_code == 404, name
    # Another team's supervisor sees none of it; an agent may not open the list.
    assert url("chat_detail", pk) not in signed_in("other_boss").get(url("team_chats")).content.decode()
    assert signed_in("alice").get(url("team_chats")).status_code == 403


def test_the_chat_panel_speaks_french(chat):
    client = signed_in("alice")
    client.cookies["django_language"] = "fr"
    panel = client.get(url("chat_detail", chat.conversation.pk), **HTMX).content.decode()
    assert "Clore le chat" in panel and "Qui est le visiteur ?" in panel and "Transférer" in panel
    assert "Close the chat" not in panel


def test_only_the_chats_agent_or_those_overseeing_them_close_it(chat):
    from django.core.exceptions import PermissionDenied

    for outsider in (chat.bob, chat.other_boss):
        with pytest.raises(PermissionDenied):
            services.chat_close(conversation=chat.conversation, by=outsider)
    chat.conversation.refresh_from_db()
    assert not chat.conversation.is_ended
    services.chat_close(conversation=chat.conversation, by=chat.boss)  # alice's supervisor
    chat.conversation.refresh_from_db()
    assert chat.conversation.is_ended
