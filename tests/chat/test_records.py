"""What a chat leaves behind: the transcript interaction and the KPIs it feeds, bot containment,
the customer's export, erasure and retention, idle chats ended."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from contactcenter.chat import services
from contactcenter.chat.models import ChatConversation, ChatMessage, ConversationState
from contactcenter.chat.selectors import transcript_search
from contactcenter.distribution.models import WorkItem
from contactcenter.distribution.services import offer_accept
from contactcenter.privacy.models import RetentionKind, RetentionPolicy
from contactcenter.privacy.services import retention_apply
from customers.selectors import customer_export
from customers.services import ERASED_TEXT, customer_erase
from kpis.definitions import KpiScope
from kpis.selectors import kpi_rows
from tests.agents.factories import UserFactory
from tests.chat.factories import agent, start, widget
from tests.customers.factories import CustomerFactory
from tests.routing.factories import chat_queue

pytestmark = pytest.mark.django_db


def _handled_chat(django_capture_on_commit_callbacks, customer=None):
    queue = chat_queue()
    profile = agent(queue)
    conversation, _token = start(widget(queue))
    if customer is not None:
        conversation.customer = customer
        conversation.save()
    with django_capture_on_commit_callbacks(execute=True):
        # No article answers it: the bot hands the chat over.
        services.chat_visitor_send(conversation=conversation, text="hello, my parcel never came")
    conversation.refresh_from_db()
    offer = WorkItem.objects.get(pk=conversation.work_item_id).offers.get()
    with django_capture_on_commit_callbacks(execute=True):
        offer_accept(offer_id=offer.pk, by=profile.user)
    services.chat_agent_send(conversation=conversation, by=profile.user, text="Sorry, I send another one.")
    with django_capture_on_commit_callbacks(execute=True):
        services.chat_close(conversation=conversation, by=profile.user)
    conversation.refresh_from_db()
    return conversation, profile


def _today_rows(**extra):
    today = timezone.localdate()
    return kpi_rows(scope=KpiScope(everything=True), start=today, end=today + timedelta(days=1), routing=True, **extra)


def test_a_handled_chat_counts_as_offered_handled_with_its_times(django_capture_on_commit_callbacks):
    conversation, profile = _handled_chat(django_capture_on_commit_callbacks)
    interaction = conversation.interaction
    assert interaction.channel == "chat" and interaction.agent_id == profile.user_id
    assert interaction.offered_at <= interaction.answered_at <= interaction.ended_at == interaction.wrapup_ended_at
    services.chat_csat(conversation=conversation, score=5)
    (row,) = _today_rows()
    assert (row.offered, row.handled, row.abandoned) == (1, 1, 0)
    assert row.asa is not None and row.aht is not None and row.csat == 1.0
    (chat_row,) = _today_rows(group_by="channel")
    assert chat_row.key == "chat" and chat_row.handled == 1


def test_bot_containment(django_capture_on_commit_callbacks):
    _handled_chat(django_capture_on_commit_callbacks)  # handed over: not contained
    contained, _token = start(widget(name="Other"))
    services.chat_visitor_close(conversation=contained)
    start(widget(name="Third"))  # still open: started, not contained
    (row,) = _today_rows()
    assert (row.chats_started, row.chats_bot_contained) == (3, 1)
    assert row.bot_containment == pytest.approx(1 / 3)
    assert _today_rows(group_by="channel")[0].chats_started == 3


def test_bot_containment_none_without_chats():
    (row,) = _today_rows()
    assert row.chats_started == 0 and row.bot_containment is None
    today = timezone.localdate()
    (plain,) = kpi_rows(scope=KpiScope(everything=True), start=today, end=today + timedelta(days=1))
    assert plain.bot_containment is None and plain.chats_started is None


def test_the_export_holds_the_chats(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    conversation, _profile = _handled_chat(django_capture_on_commit_callbacks, customer=customer)
    admin = UserFactory(is_superuser=True, is_staff=True)
    export = customer_export(user=admin, customer=customer)
    (chat,) = export["chats"]
    assert chat["id"] == conversation.pk and chat["interaction"] == conversation.interaction_id
    texts = [message["text"] for message in chat["messages"]]
    assert "hello, my parcel never came" in texts and "Sorry, I send another one." in texts


def test_erasure_blanks_the_transcripts(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    conversation, _profile = _handled_chat(django_capture_on_commit_callbacks, customer=customer)
    ChatConversation.objects.filter(pk=conversation.pk).update(visitor_name="Ann", visitor_email="a@example.com")
    record = customer_erase(customer=customer)
    assert record.counts["chat_messages"] >= 3
    assert set(ChatMessage.objects.filter(conversation=conversation).values_list("text", flat=True)) == {ERASED_TEXT}
    conversation.refresh_from_db()
    assert (conversation.visitor_name, conversation.visitor_email) == ("", "")
    assert conversation.bot_answers.exclude(question=ERASED_TEXT).count() == 0


def test_retention_blanks_old_transcripts_only(django_capture_on_commit_callbacks):
    old, _profile = _handled_chat(django_capture_on_commit_callbacks)
    ChatConversation.objects.filter(pk=old.pk).update(ended_at=timezone.now() - timedelta(days=40))
    recent, _token = start(widget(name="Recent"))
    services.chat_visitor_close(conversation=recent)
    RetentionPolicy.objects.filter(kind=RetentionKind.CHAT_TRANSCRIPTS).update(days=30)
    dry = {result.kind: result.rows for result in retention_apply(dry_run=True)}
    assert dry[RetentionKind.CHAT_TRANSCRIPTS] == 1
    retention_apply()
    assert set(ChatMessage.objects.filter(conversation=old).values_list("text", flat=True)) == {ERASED_TEXT}
    assert ERASED_TEXT not in set(ChatMessage.objects.filter(conversation=recent).values_list("text", flat=True))
    again = {result.kind: result.rows for result in retention_apply(dry_run=True)}
    assert again[RetentionKind.CHAT_TRANSCRIPTS] == 0
    (row,) = _today_rows()
    assert row.handled == 1  # the KPIs stay


def test_idle_chats_with_the_bot_are_ended():
    idle, _token = start(widget())
    busy, _token = start(widget(name="Busy"))
    ChatConversation.objects.filter(pk=idle.pk).update(last_activity_at=timezone.now() - timedelta(hours=1))
    assert services.chats_close_idle() == [idle.pk]
    idle.refresh_from_db()
    assert idle.state == ConversationState.CLOSED and idle.ended_by == "system"
    assert ChatConversation.objects.get(pk=busy.pk).state == ConversationState.BOT


def test_transcript_search(django_capture_on_commit_callbacks):
    conversation, _profile = _handled_chat(django_capture_on_commit_callbacks)
    assert list(transcript_search(query="PARCEL")) == [conversation]
    assert list(transcript_search(query="zebra")) == []
