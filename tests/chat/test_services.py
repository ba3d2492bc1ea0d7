"""The chat's services and selectors, the contract the agent side relies on (docs/chat.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from contactcenter.chat import selectors, services
from contactcenter.chat.models import (
    MAX_MESSAGE_CHARS,
    BotAnswer,
    ChatConversation,
    ChatMessage,
    ConversationState,
)
from contactcenter.distribution.models import WorkItem, WorkState
from contactcenter.distribution.services import offer_accept
from interactions.models import SurveyResponse, Ticket
from tests.agents.factories import AgentProfileFactory, QueueFactory
from tests.chat.factories import agent, internal_article, public_article, start, widget
from tests.conftest import AFTERNOON
from tests.customers.factories import CustomerFactory, EmailFactory
from tests.routing.factories import chat_queue

pytestmark = pytest.mark.django_db


def _handed_over(django_capture_on_commit_callbacks, username: str = "alice"):
    queue = chat_queue()
    profile = agent(queue, username)
    chat_widget = widget(queue)
    conversation, _token = start(chat_widget)
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_request_agent(conversation=conversation)
    conversation.refresh_from_db()
    return conversation, profile


def _accepted(django_capture_on_commit_callbacks, username: str = "alice"):
    conversation, profile = _handed_over(django_capture_on_commit_callbacks, username)
    item = WorkItem.objects.get(pk=conversation.work_item_id)
    assert item.state == WorkState.OFFERED and item.offered_to_id == profile.user_id
    offer = item.offers.get()
    with django_capture_on_commit_callbacks(execute=True):
        offer_accept(offer_id=offer.pk, by=profile.user)
    conversation.refresh_from_db()
    return conversation, profile


def test_start_greets_and_stores_only_the_token_hash():
    conversation, token = start(widget(greeting={"en": "Hi there!"}))
    assert conversation.state == ConversationState.BOT
    assert token not in conversation.token_hash and conversation.token_hash == services.token_hash(token)
    assert [m.text for m in conversation.messages.all()] == ["Hi there!"]


def test_widget_language_falls_back_to_its_first():
    conversation, _token = start(widget(languages=["fr"]), language="de")
    assert conversation.language == "fr"


def test_bot_answers_from_a_public_article_and_records_it():
    article = public_article()
    conversation, _token = start(widget())
    services.chat_visitor_send(conversation=conversation, text="How do I reset my password?")
    answer = BotAnswer.objects.get(conversation=conversation)
    assert answer.article == article and answer.score >= 0.5 and answer.helped is None
    reply = conversation.messages.filter(author="bot").last()
    assert reply.article == article and "Reset your password" in reply.text


def test_bot_never_answers_with_an_internal_article():
    internal_article()
    queue = chat_queue()
    conversation, _token = start(widget(queue))
    services.chat_visitor_send(conversation=conversation, text="refund override back office approval code")
    assert not ChatMessage.objects.filter(conversation=conversation, article__isnull=False).exists()
    assert BotAnswer.objects.get(conversation=conversation).article is None
    assert "4471" not in " ".join(conversation.messages.values_list("text", flat=True))


def test_bot_does_not_answer_in_another_language():
    public_article(language="fr", title="Réinitialiser le mot de passe", summary="Paramètres", body="password")
    conversation, _token = start(widget())
    services.chat_visitor_send(conversation=conversation, text="reset password")
    assert BotAnswer.objects.get(conversation=conversation).article is None


def test_two_unhelpful_answers_hand_over(django_capture_on_commit_callbacks):
    queue = chat_queue()
    agent(queue)
    public_article()
    conversation, _token = start(widget(queue))
    for _round in range(2):
        services.chat_visitor_send(conversation=conversation, text="reset my password")
        answer = BotAnswer.objects.filter(conversation=conversation).last()
        with django_capture_on_commit_callbacks(execute=True):
            services.chat_bot_feedback(conversation=conversation, answer_id=answer.pk, helped=False)
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.WAITING
    assert list(BotAnswer.objects.filter(conversation=conversation).values_list("helped", flat=True)) == [False] * 2


def test_helpful_answer_keeps_the_bot():
    public_article()
    conversation, _token = start(widget())
    services.chat_visitor_send(conversation=conversation, text="reset my password")
    answer = BotAnswer.objects.get(conversation=conversation)
    services.chat_bot_feedback(conversation=conversation, answer_id=answer.pk, helped=True)
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.BOT
    with pytest.raises(ValidationError):
        services.chat_bot_feedback(conversation=conversation, answer_id=answer.pk, helped=True)


@pytest.mark.parametrize("words", ["I want a human", "agent please", "Je veux un conseiller", "un humain svp"])
def test_asking_for_a_person_hands_over(words, django_capture_on_commit_callbacks):
    queue = chat_queue()
    agent(queue)
    conversation, _token = start(widget(queue))
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_visitor_send(conversation=conversation, text=words)
    conversation.refresh_from_db()
    assert conversation.state in (ConversationState.WAITING,)
    assert conversation.interaction.channel == "chat" and conversation.interaction.queue == queue
    assert conversation.work_item.kind == "chat"


def test_nothing_matching_hands_over(django_capture_on_commit_callbacks):
    queue = chat_queue()
    agent(queue)
    conversation, _token = start(widget(queue))
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_visitor_send(conversation=conversation, text="zebra quantum marmalade")
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.WAITING


def test_nobody_logged_in_asks_to_leave_a_message():
    queue = chat_queue()
    agent(queue, status="offline")
    conversation, _token = start(widget(queue))
    services.chat_request_agent(conversation=conversation)
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.BOT and conversation.work_item is None
    assert services.nobody_reason(conversation.widget) == services.NOBODY


def test_outside_opening_hours_is_closed():
    queue = chat_queue()
    agent(queue)
    chat_widget = widget(queue, opening_hours=[{"weekday": 2, "opens": "09:00", "closes": "18:00"}])
    # AFTERNOON: Wednesday 4 March 2026, 14:00 in Paris (the center's time zone).
    assert services.nobody_reason(chat_widget, AFTERNOON) is None
    assert services.nobody_reason(chat_widget, AFTERNOON + timedelta(hours=5)) == services.CLOSED
    assert services.nobody_reason(chat_widget, AFTERNOON + timedelta(days=1)) == services.CLOSED


def test_widget_settings_are_checked():
    with pytest.raises(ValidationError) as error:
        widget(
            languages=["xx"],
            allowed_origins=["https://shop.example.com/path"],
            colour="red",
            opening_hours=[{"weekday": 9, "opens": "18:00", "closes": "09:00"}],
            queue=QueueFactory(name="Phones", channel="voice"),
        )
    assert set(error.value.message_dict) == {"languages", "allowed_origins", "colour", "opening_hours", "queue"}


def test_accepting_the_offer_makes_the_chat_the_agents(django_capture_on_commit_callbacks):
    conversation, profile = _accepted(django_capture_on_commit_callbacks)
    assert conversation.state == ConversationState.ACTIVE and conversation.agent_id == profile.user_id
    assert conversation.interaction.agent_id == profile.user_id
    assert conversation.interaction.answered_at is not None
    assert list(selectors.agent_open_chats(user=profile.user)) == [conversation]


def test_agent_send_close_and_csat(django_capture_on_commit_callbacks):
    conversation, profile = _accepted(django_capture_on_commit_callbacks)
    message = services.chat_agent_send(conversation=conversation, by=profile.user, text="Hello, I am Alice.")
    assert message.author == "agent" and message.agent_id == profile.user_id
    with pytest.raises(ValidationError):
        services.chat_agent_send(conversation=conversation, by=profile.user, text="x" * (MAX_MESSAGE_CHARS + 1))
    with pytest.raises(ValidationError):
        services.chat_csat(conversation=conversation, score=5)  # not over yet
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_close(conversation=conversation, by=profile.user)
    conversation.refresh_from_db()
    interaction = conversation.interaction
    assert conversation.state == ConversationState.CLOSED and conversation.ended_by == "agent"
    assert interaction.ended_at is not None and interaction.handle_seconds is not None
    assert WorkItem.objects.get(pk=conversation.work_item_id).state == WorkState.DONE
    services.chat_csat(conversation=conversation, score=4)
    assert SurveyResponse.objects.get(interaction=interaction).score == 4
    with pytest.raises(ValidationError):
        services.chat_csat(conversation=conversation, score=3)


def test_another_agent_may_not_write(django_capture_on_commit_callbacks):
    conversation, profile = _accepted(django_capture_on_commit_callbacks)
    other = agent(conversation.widget.queue, "bob")
    with pytest.raises(PermissionDenied):
        services.chat_agent_send(conversation=conversation, by=other.user, text="Hi")
    with pytest.raises(ChatConversation.DoesNotExist):
        selectors.conversation_for_agent(user=other.user, pk=conversation.pk)
    assert selectors.conversation_for_agent(user=profile.user, pk=conversation.pk) == conversation


def test_visitor_leaving_while_waiting_abandons(django_capture_on_commit_callbacks):
    conversation, _profile = _handed_over(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_visitor_close(conversation=conversation)
    conversation.refresh_from_db()
    assert conversation.interaction.answered_at is None and conversation.interaction.ended_at is not None
    assert WorkItem.objects.get(pk=conversation.work_item_id).state == WorkState.CANCELLED


def test_leave_a_message_makes_a_ticket_on_the_matched_customer():
    queue = chat_queue()
    customer = CustomerFactory()
    EmailFactory(customer=customer, value="ann@example.com")
    conversation, _token = start(widget(queue))
    ticket = services.chat_leave_message(
        conversation=conversation, name="Ann Lee", email="ANN@example.com", text="Call me back please"
    )
    conversation.refresh_from_db()
    assert ticket.customer == customer and ticket.queue == queue and ticket.description == "Call me back please"
    assert conversation.state == ConversationState.MESSAGE_LEFT and conversation.ticket == ticket


def test_leave_a_message_creates_the_customer():
    conversation, _token = start(widget())
    ticket = services.chat_leave_message(conversation=conversation, name="Zoe Roy", email="zoe@example.com", text="Hi")
    assert Ticket.objects.count() == 1
    assert (ticket.customer.first_name, ticket.customer.last_name) == ("Zoe", "Roy")
    with pytest.raises(ValidationError) as error:
        services.chat_leave_message(conversation=start(widget(name="B"))[0], name="", email="nope", text="")
    assert set(error.value.message_dict) == {"name", "email", "text"}


def test_identify_and_messages_selector(django_capture_on_commit_callbacks):
    conversation, profile = _accepted(django_capture_on_commit_callbacks)
    customer = CustomerFactory()
    services.chat_identify(conversation=conversation, by=profile.user, customer=customer)
    conversation.refresh_from_db()
    assert conversation.customer == customer and conversation.interaction.customer == customer
    first = selectors.chat_messages(conversation=conversation).first()
    later = list(selectors.chat_messages(conversation=conversation, after_id=first.pk))
    assert first.pk not in [m.pk for m in later] and later


def test_transfer_to_another_agent(django_capture_on_commit_callbacks):
    conversation, profile = _accepted(django_capture_on_commit_callbacks)
    bob = agent(conversation.widget.queue, "bob")
    supervisor = AgentProfileFactory(role="supervisor", team=profile.team)
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_transfer(conversation=conversation, by=supervisor.user, agent=bob.user)
    conversation.refresh_from_db()
    assert conversation.agent_id == bob.user_id and conversation.state == ConversationState.ACTIVE


def test_visitor_identify_matches_by_email():
    customer = CustomerFactory()
    EmailFactory(customer=customer, value="max@example.com")
    conversation, _token = start(widget())
    services.chat_visitor_identify(conversation=conversation, name="Max", email="max@example.com")
    conversation.refresh_from_db()
    assert conversation.customer == customer
